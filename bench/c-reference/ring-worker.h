/*
 * One thread of the C reference: its own io_uring ring reading a share of
 * the tiles in batches (open, read, close linked per tile), turning them
 * gray, and writing them in batches (open a temporary name, write, close,
 * rename), as EdgeCam's engine does, but with no sandbox and no daemon.
 */
#ifndef BENCH_RING_WORKER_H
#define BENCH_RING_WORKER_H

#include <stddef.h>
#include <stdint.h>

struct ring_worker {
  /* Set by the caller before worker_run; owned by the caller. */
  char **inputs;       /* paths of this worker's tiles */
  size_t count;        /* how many */
  const char *out_dir; /* where the gray tiles go, under the same names */
  unsigned batch;      /* tiles per read batch and per write batch */
  size_t slot_size;    /* largest tile file, plus one byte */
  unsigned iowq_max;   /* io-wq workers allowed per kind; 0: kernel default */
  int plain_ring;      /* 1: no SINGLE_ISSUER / DEFER_TASKRUN, to compare */

  /* Filled by worker_run. latency_us has count entries; the caller frees
   * it. error is 0, or -errno with message saying which step failed. */
  double *latency_us; /* read submitted to rename completed, per tile */
  uint64_t bytes;     /* bytes read (and written) */
  uint64_t enters;    /* calls that entered io_uring_enter(2) */
  unsigned ring_flags;
  int error;
  char message[768];
};

/* Runs one worker to the end; arg is a struct ring_worker. Returns NULL.
 * The ring is created on the calling thread, which must be the only one
 * to use it (IORING_SETUP_SINGLE_ISSUER). */
void *worker_run(void *arg);

#endif /* BENCH_RING_WORKER_H */
