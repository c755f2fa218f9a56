/*
 * Mapping the shared slot pool.
 */
#include "slot-pool.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

int slot_pool_map(slot_pool *pool, int fd, uint32_t slots, uint32_t slot_size,
                  host_error *err) {
  static const char hint[] =
      "pass the pool as fd 4, sized at least slots * slot-size bytes "
      "(ftruncate it first)";
  uint64_t size = (uint64_t)slots * slot_size;
  struct stat st;
  void *base;

  memset(pool, 0, sizeof *pool);
  if (fstat(fd, &st) != 0) {
    host_error_set(err, "SLOT_POOL", hint, "fd %d is not open: %s", fd,
                   strerror(errno));
    return -1;
  }
  if ((uint64_t)st.st_size < size) {
    host_error_set(err, "SLOT_POOL", hint,
                   "the pool on fd %d is %lld bytes; %u slots of %u bytes "
                   "need %llu",
                   fd, (long long)st.st_size, slots, slot_size,
                   (unsigned long long)size);
    return -1;
  }

  base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (base == MAP_FAILED) {
    host_error_set(err, "SLOT_POOL", hint, "cannot map the pool on fd %d: %s",
                   fd, strerror(errno));
    return -1;
  }
  pool->base = base;
  pool->size = size;
  pool->slots = slots;
  pool->slot_size = slot_size;
  return 0;
}

uint8_t *slot_pool_slot(const slot_pool *pool, uint32_t slot) {
  return pool->base + (uint64_t)slot * pool->slot_size;
}

void slot_pool_unmap(slot_pool *pool) {
  if (pool->base != NULL)
    munmap(pool->base, pool->size);
  memset(pool, 0, sizeof *pool);
}
