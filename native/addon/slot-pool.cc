/*
 * The shared-memory slot pool: memfd_create, ftruncate, seal, mmap.
 */
#include "slot-pool.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

std::unique_ptr<SlotPool> SlotPool::Create(size_t slots, size_t slotSize,
                                           Failure *failure) {
  size_t bytes = slots * slotSize;
  std::string size = std::to_string(bytes) + " bytes";
  int fd;
  void *base;

  fd = memfd_create("edgecam-slots", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    *failure = SystemFailure("memfd_create", errno,
                             "the kernel needs memfd support (Linux 3.17+)");
    return nullptr;
  }

  if (ftruncate(fd, static_cast<off_t>(bytes)) < 0) {
    *failure = SystemFailure(("ftruncate of the slot pool to " + size).c_str(),
                             errno, "lower --slots or --slot-size");
    close(fd);
    return nullptr;
  }

  /* Rule: hosts map this file too. Reason: a host that shrank it would make
   * the daemon's next touch of a slot a SIGBUS; sealing forbids resizing. */
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
    *failure = SystemFailure("sealing the slot pool", errno, "");
    close(fd);
    return nullptr;
  }

  base = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    *failure = SystemFailure(("mmap of the slot pool, " + size).c_str(), errno,
                             "lower --slots or --slot-size");
    close(fd);
    return nullptr;
  }

  return std::unique_ptr<SlotPool>(
      new SlotPool(fd, static_cast<uint8_t *>(base), slots, slotSize));
}

SlotPool::~SlotPool() {
  munmap(base_, slots_ * slotSize_);
  close(fd_);
}
