/*
 * The sandbox: everything a plugin can reach outside its own memory. It
 * gets WASI with no directories, no environment, no arguments, no network
 * and no stdin; its stdout and stderr are the host's (the daemon captures
 * them into its log); sleeping is refused.
 */
#ifndef EDGECAM_SANDBOX_H
#define EDGECAM_SANDBOX_H

#include <wasmtime.h>

#include "host-error.h"

/*
 * Creates the linker that resolves a plugin's imports. The caller owns it
 * (wasmtime_linker_delete); it can serve any number of stores of `engine`.
 * Returns NULL with `err` set (code "SANDBOX") on failure.
 */
wasmtime_linker_t *sandbox_linker_new(wasm_engine_t *engine, host_error *err);

/*
 * Gives a new store the plugin's WASI context. Call it once per store,
 * before instantiating. Returns 0, or -1 with `err` set (code "SANDBOX").
 */
int sandbox_configure_store(wasmtime_context_t *context, host_error *err);

/*
 * Resolves a plugin's imports against the sandbox once, for fast
 * instantiation in any number of stores later. The caller owns `pre`
 * (wasmtime_instance_pre_delete). Returns 0, or -1 with `err` set
 * (INSTANTIATE) naming an import the sandbox does not provide.
 */
int sandbox_prepare(const wasmtime_linker_t *linker,
                    const wasmtime_module_t *module,
                    wasmtime_instance_pre_t **pre, host_error *err);

#endif /* EDGECAM_SANDBOX_H */
