/*
 * Where a tile is written before it is renamed into place: beside the
 * target, so the rename stays within one file system and is atomic, under a
 * hidden name: out/x.ppm is written as out/.x.ppm.edgecam-tmp. A crash
 * leaves at most a dot-file, never a half-written tile under its name.
 */
#ifndef EDGECAM_TEMP_PATH_H
#define EDGECAM_TEMP_PATH_H

#include <string>

std::string TempPathFor(const std::string &path);

#endif /* EDGECAM_TEMP_PATH_H */
