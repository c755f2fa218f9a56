/*
 * The slot pool: the file on fd 4 that the daemon and the hosts share,
 * cut into `slots` slots of `slot_size` bytes. Tiles are read into a slot
 * by the daemon, processed there by a host, and written out from it.
 */
#ifndef EDGECAM_SLOT_POOL_H
#define EDGECAM_SLOT_POOL_H

#include <stdint.h>

#include "host-error.h"

#define SLOT_POOL_FD 4

typedef struct slot_pool {
  uint8_t *base; /* MAP_SHARED mapping of the whole pool */
  uint64_t size;
  uint32_t slots;
  uint32_t slot_size;
} slot_pool;

/*
 * Maps slots * slot_size bytes of `fd` shared, read and write. Returns 0,
 * or -1 with `err` set (code "SLOT_POOL") when fd is not open, is smaller
 * than the pool, or cannot be mapped.
 */
int slot_pool_map(slot_pool *pool, int fd, uint32_t slots, uint32_t slot_size,
                  host_error *err);

/* The first byte of `slot`; the caller has checked slot < pool->slots. */
uint8_t *slot_pool_slot(const slot_pool *pool, uint32_t slot);

/* Unmaps the pool. Safe on a pool that was never mapped. */
void slot_pool_unmap(slot_pool *pool);

#endif /* EDGECAM_SLOT_POOL_H */
