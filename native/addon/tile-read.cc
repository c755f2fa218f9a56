/*
 * Reading a tile: each read's outcome goes through CheckTile, which says
 * whether the tile is whole, still arriving, or wrong.
 */
#include "tile-read.h"

TileReader::Next TileReader::OnRead(size_t n) {
  size_t asked = Room();
  TileBytes bytes;

  got_ += n;
  bytes.data = slot_;
  bytes.got = got_;
  bytes.eof = n == 0;
  bytes.exact = n < asked;
  bytes.slotSize = slotSize_;

  TileCheck check = CheckTile(format_, path_, bytes);
  switch (check.status) {
  case TileStatus::kNeedMore:
    return Next::kRead;
  case TileStatus::kInvalid:
    failure_ = check.failure;
    done_ = true;
    return Next::kDone;
  case TileStatus::kComplete:
    break;
  }

  /* Whole, and the read came back short: the file ended with the tile. */
  geometry_ = check.geometry;
  if (bytes.exact) {
    done_ = true;
    return Next::kDone;
  }
  return Next::kProbeEof;
}

TileReader::Next TileReader::OnEofProbe(size_t n) {
  done_ = true;
  if (n > 0)
    failure_ = TileFailure("TOO_LONG",
                           path_ + ": at least " + std::to_string(got_ + n) +
                               " bytes, but " + DescribeNeed(geometry_) +
                               " only " + std::to_string(geometry_.length));
  return Next::kDone;
}
