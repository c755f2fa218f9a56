/*
 * The decisions of reading one tile into its slot, shared by the ring and
 * the synchronous engine so both treat short reads, EOF and bad tiles alike.
 * The engine does the reads; TileReader says where the next one goes and
 * what it means. One instance per tile; used by one thread at a time.
 */
#ifndef EDGECAM_TILE_READ_H
#define EDGECAM_TILE_READ_H

#include <cstddef>
#include <cstdint>
#include <string>

#include "failure.h"
#include "tile-format.h"

class TileReader {
public:
  enum class Next {
    kRead,     /* a short read: read again at Target(), Room() bytes */
    kProbeEof, /* the slot is full and so is the tile: read 1 byte past */
    kDone,     /* see Ok(), Geometry(), Error() */
  };

  TileReader(const TileFormat &format, const std::string &path, uint8_t *slot,
             size_t slotSize)
      : format_(format), path_(path), slot_(slot), slotSize_(slotSize) {}

  /* Where the next read goes and how many bytes it asks for. */
  uint8_t *Target() const {
    return slot_ + got_;
  }
  size_t Room() const {
    return slotSize_ - got_;
  }

  /*
   * A read of Room() bytes returned `n` (0 = EOF). Rule: a read that
   * returns fewer bytes than asked ends the file as far as length goes (true
   * for regular files; a FIFO may still send more, which is not looked for
   * once the tile is whole).
   */
  Next OnRead(size_t n);

  /* The 1-byte read past a full slot returned `n`: 0 means the tile ends. */
  Next OnEofProbe(size_t n);

  bool Ok() const {
    return done_ && !failure_.failed();
  }
  const TileGeometry &Geometry() const {
    return geometry_;
  }
  const Failure &Error() const {
    return failure_;
  }

private:
  const TileFormat &format_;
  const std::string &path_;
  uint8_t *slot_;
  size_t slotSize_;
  size_t got_ = 0;
  bool done_ = false;
  TileGeometry geometry_;
  Failure failure_;
};

#endif /* EDGECAM_TILE_READ_H */
