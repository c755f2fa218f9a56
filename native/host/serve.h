/*
 * Serve mode: edgecam-host --module FILE --slots N --slot-size S. Loads
 * the plugin, says READY on fd 3, then runs one RUN message after another
 * on tiles in the slot pool (fd 4) and answers each with DONE, until the
 * daemon closes fd 3.
 */
#ifndef EDGECAM_SERVE_H
#define EDGECAM_SERVE_H

#include "host-options.h"

/*
 * Runs serve mode. Returns the exit code: 0 when the daemon closed fd 3,
 * 2 after a fatal error (sent as FATAL on fd 3 when it is open, and as a
 * JSON line on stderr).
 */
int serve_main(const host_options *options);

#endif /* EDGECAM_SERVE_H */
