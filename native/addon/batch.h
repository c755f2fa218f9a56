/*
 * A batch: the tiles one read() or write() call asked for and their results,
 * in request order. Built on the JS thread, owned by the I/O thread while
 * its tiles are in flight, handed back whole when every tile is done.
 */
#ifndef EDGECAM_BATCH_H
#define EDGECAM_BATCH_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "failure.h"
#include "tile-format.h"

enum class BatchKind { kRead, kWrite };

struct TileRequest {
  uint32_t slot = 0;
  std::string path;
  TileFormat format; /* reads: what the tile should be */
  size_t length = 0; /* writes: bytes from the start of the slot */
};

struct TileResult {
  bool ok = false;
  TileGeometry geometry; /* reads that succeeded */
  Failure failure;       /* tiles that did not */
};

struct Batch {
  uint64_t id = 0;
  BatchKind kind = BatchKind::kRead;
  std::vector<TileRequest> tiles;
  std::vector<TileResult> results; /* one per tile, same order */
  size_t done = 0;                 /* tiles finished; I/O thread only */
};

#endif /* EDGECAM_BATCH_H */
