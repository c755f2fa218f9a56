/*
 * Temporary names for tiles being written.
 */
#include "temp-path.h"

std::string TempPathFor(const std::string &path) {
  size_t slash = path.rfind('/');
  std::string folder =
      slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);

  return folder + "." + name + ".edgecam-tmp";
}
