/*
 * Compile mode: edgecam-host --compile PLUGIN.wasm --out FILE.cwasm.
 * Compiles a plugin, proves it can start under the limits, and saves the
 * compiled module for serve mode to load in microseconds.
 */
#ifndef EDGECAM_COMPILE_H
#define EDGECAM_COMPILE_H

#include "host-options.h"

/*
 * Runs compile mode. Returns the process exit code: 0 when FILE.cwasm was
 * written, 2 after printing one JSON error line on stderr (codes NOT_WASM,
 * COMPILE, MISSING_EXPORT, INSTANTIATE, ABI, IO; see docs/host.md).
 */
int compile_main(const host_options *options);

#endif /* EDGECAM_COMPILE_H */
