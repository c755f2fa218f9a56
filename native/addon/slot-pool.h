/*
 * The slot pool: slots * slotSize bytes of shared memory (a memfd) mapped
 * into the daemon. Tiles are read into slots, processed there in place by
 * the algorithm hosts (which map the same memfd as their fd 4), and written
 * out from there. Created and destroyed on the JS thread; the I/O thread
 * only uses Slot() addresses while the pool is alive.
 */
#ifndef EDGECAM_SLOT_POOL_H
#define EDGECAM_SLOT_POOL_H

#include <cstddef>
#include <cstdint>
#include <memory>

#include "failure.h"

class SlotPool {
public:
  /*
   * Creates the memfd ("edgecam-slots", close-on-exec; a child gets it by
   * being spawned with it in its stdio array, which dup2()s it), sizes it,
   * seals its size (a host cannot shrink it under the daemon) and maps it
   * shared. On failure returns nullptr and fills *failure.
   */
  static std::unique_ptr<SlotPool> Create(size_t slots, size_t slotSize,
                                          Failure *failure);
  ~SlotPool();

  SlotPool(const SlotPool &) = delete;
  SlotPool &operator=(const SlotPool &) = delete;

  int Fd() const {
    return fd_;
  }
  size_t Slots() const {
    return slots_;
  }
  size_t SlotSize() const {
    return slotSize_;
  }
  uint8_t *Slot(size_t slot) const {
    return base_ + slot * slotSize_;
  }

private:
  SlotPool(int fd, uint8_t *base, size_t slots, size_t slotSize)
      : fd_(fd), base_(base), slots_(slots), slotSize_(slotSize) {}

  int fd_;
  uint8_t *base_;
  size_t slots_;
  size_t slotSize_;
};

#endif /* EDGECAM_SLOT_POOL_H */
