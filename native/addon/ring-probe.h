/*
 * probeUring(): can this process use io_uring the way the engine does?
 * Used by `edgecam doctor`. Any thread; creates and destroys a tiny ring.
 */
#ifndef EDGECAM_RING_PROBE_H
#define EDGECAM_RING_PROBE_H

#include <string>

struct RingProbe {
  bool ok = false;
  int errnum = 0; /* why not, as an errno; 0 when ok */
  std::string message;
};

/*
 * Creates a 4-entry ring (with SINGLE_ISSUER and DEFER_TASKRUN if the kernel
 * takes them), checks that every operation the engine uses is supported and
 * that a sparse table of direct descriptors registers. The message says what
 * works, or why not (ENOSYS, EPERM, ENOMEM...) and what to do.
 */
RingProbe ProbeRing();

#endif /* EDGECAM_RING_PROBE_H */
