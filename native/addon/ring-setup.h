/*
 * Creating the io_uring of one engine: setup flags tried from best to
 * plainest, the sparse table of direct descriptors (one per slot), the slot
 * buffers, the io-wq worker cap. Must run on the thread that will submit
 * (IORING_SETUP_SINGLE_ISSUER binds the ring to it).
 */
#ifndef EDGECAM_RING_SETUP_H
#define EDGECAM_RING_SETUP_H

#include <liburing.h>

#include "failure.h"
#include "io-engine.h"
#include "slot-pool.h"

struct RingOptions {
  unsigned queueDepth = 256;   /* SQ entries; the CQ gets twice as many */
  bool registerBuffers = true; /* register each slot as a fixed buffer */
  unsigned iowqMaxWorkers = 1; /* bounded io-wq workers; 0: kernel's cap */
};

/*
 * Initialises *ring and registers files and buffers. Records the flags it
 * got in info->flags and any refused buffer registration in info (that is
 * not a failure: reads then use plain buffers). On failure the ring is not
 * initialised and the Failure says why and what to do.
 */
Failure SetupRing(struct io_uring *ring, const RingOptions &options,
                  const SlotPool &pool, EngineInfo *info);

/*
 * Why io_uring_queue_init failed with -errnum, and what to do:
 * ENOSYS (no io_uring), EPERM (sysctl or seccomp), ENOMEM (RLIMIT_MEMLOCK).
 */
Failure DescribeRingFailure(int errnum);

#endif /* EDGECAM_RING_SETUP_H */
