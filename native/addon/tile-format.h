/*
 * Tile formats and their validation: binary PGM (P5), binary PPM (P6) and
 * raw pixels of a geometry given by the caller. Pure functions over the
 * bytes that have arrived in a slot; no I/O, any thread.
 */
#ifndef EDGECAM_TILE_FORMAT_H
#define EDGECAM_TILE_FORMAT_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "failure.h"

enum class TileKind { kPgm, kPpm, kRaw };

/* What the caller says a tile is: PNM (geometry from the header) or raw. */
struct TileFormat {
  bool raw = false;
  uint32_t width = 0; /* raw only */
  uint32_t height = 0;
  uint32_t channels = 0;
};

/* What a tile turned out to be. length = headerLength + pixel bytes. */
struct TileGeometry {
  TileKind kind = TileKind::kRaw;
  uint32_t width = 0;
  uint32_t height = 0;
  uint32_t channels = 0;
  size_t headerLength = 0;
  size_t length = 0;
};

enum class TileStatus {
  kNeedMore, /* what arrived is a valid start; read on */
  kComplete, /* header and pixels are all there, nothing extra */
  kInvalid,  /* see TileCheck::failure */
};

struct TileCheck {
  TileStatus status = TileStatus::kNeedMore;
  TileGeometry geometry;
  Failure failure;
};

/* What the reader knows about the bytes that have arrived. */
struct TileBytes {
  const uint8_t *data; /* the slot */
  size_t got;          /* bytes read so far */
  bool eof;            /* a read returned 0: no byte follows */
  bool exact;          /* got is the file's whole length, as far as known */
  size_t slotSize;     /* the most a tile may need */
};

/*
 * Checks a tile against its format. `path` is only used in messages.
 * Codes: EMPTY, BAD_HEADER, BAD_MAXVAL, TRUNCATED, TOO_LONG, TOO_LARGE.
 * Never fails for lack of memory beyond the message strings.
 */
TileCheck CheckTile(const TileFormat &format, const std::string &path,
                    const TileBytes &bytes);

/* "its 256x256x3 header needs" or "raw 256x256x3 tiles need". */
std::string DescribeNeed(const TileGeometry &geometry);

#endif /* EDGECAM_TILE_FORMAT_H */
