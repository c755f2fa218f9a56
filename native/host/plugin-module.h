/*
 * A plugin's compiled module: compiling it from .wasm, loading it from a
 * serialized .cwasm, checking it exports what the plugin ABI needs
 * (algos/edgecam_plugin.h), and saving it.
 */
#ifndef EDGECAM_PLUGIN_MODULE_H
#define EDGECAM_PLUGIN_MODULE_H

#include <stdbool.h>

#include <wasmtime.h>

#include "host-error.h"

/*
 * Compiles the WebAssembly file at `path`. On success returns 0 and a
 * module the caller owns (wasmtime_module_delete). On failure returns -1
 * with `err` set: IO (unreadable), NOT_WASM (not a core module) or COMPILE
 * (invalid, or uses a feature the engine refuses).
 */
int plugin_module_compile(wasm_engine_t *engine, const char *path,
                          wasmtime_module_t **module, host_error *err);

/*
 * Loads a module serialized by plugin_module_save() with an engine of the
 * same settings (engine.h). The file must come from a trusted writer:
 * Wasmtime checks its header and settings but not its code, so a
 * corrupted file can load without an error. Returns 0, or -1 with `err`
 * set (IO or DESERIALIZE).
 */
int plugin_module_deserialize(wasm_engine_t *engine, const char *path,
                              wasmtime_module_t **module, host_error *err);

/* True when the file at `path` starts like a WebAssembly binary. */
bool plugin_module_is_wasm_file(const char *path);

/*
 * Checks the exports the host calls: memory (32-bit, not shared),
 * process(i32, i32, i32) -> i32, edgecam_alloc(i32) -> i32, and, when
 * present, _initialize() and edgecam_abi_version() -> i32. Returns 0, or
 * -1 with `err` set (MISSING_EXPORT) naming the first one missing or
 * mistyped.
 */
int plugin_module_check_exports(const wasmtime_module_t *module,
                                host_error *err);

/*
 * Serializes `module` to `path` atomically: it is written to a temporary
 * name in the same directory, synced, then renamed, so a reader sees the
 * old file or the whole new one. Returns 0, or -1 with `err` set (IO or
 * SERIALIZE).
 */
int plugin_module_save(const wasmtime_module_t *module, const char *path,
                       host_error *err);

#endif /* EDGECAM_PLUGIN_MODULE_H */
