/*
 * The Wasmtime engine every mode uses, and the key that names its
 * settings. A compiled module only loads into an engine with the same
 * settings, so compile and serve modes build their engine here alone.
 */
#ifndef EDGECAM_ENGINE_H
#define EDGECAM_ENGINE_H

#include <stddef.h>

#include <wasmtime.h>

/*
 * Creates the engine: Cranelift optimising for speed, epoch interruption
 * on, fuel off, everything else Wasmtime 49.0.0's default. The caller owns
 * it (wasm_engine_delete). Returns NULL if Wasmtime refuses the settings.
 */
wasm_engine_t *engine_new(void);

/*
 * Writes the engine key into `out` (NUL-terminated): the Wasmtime version,
 * the target, every setting engine_new() changes, and the CPU features
 * Cranelift compiles for. Two hosts with equal keys can share compiled
 * modules. Returns the key's length, or -1 if `size` is too small.
 */
int engine_key(char *out, size_t size);

#endif /* EDGECAM_ENGINE_H */
