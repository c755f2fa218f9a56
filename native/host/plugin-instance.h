/*
 * One live instance of a plugin: its store (with the memory limit), its
 * instance, and the buffer in its linear memory that tiles are copied
 * into. An instance that timed out, ran out of memory or trapped is
 * deleted and a new one made (renewed); its state is never trusted again.
 */
#ifndef EDGECAM_PLUGIN_INSTANCE_H
#define EDGECAM_PLUGIN_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include <wasmtime.h>

#include "edgecam_plugin.h"
#include "epoch-ticker.h"
#include "host-error.h"

typedef struct plugin_limits {
  uint64_t memory_bytes;   /* cap on linear memory, by the store limiter */
  uint64_t deadline_ticks; /* epoch ticks (1 ms each) allowed per call */
  epoch_ticker *ticker;    /* borrowed; armed around every call */
} plugin_limits;

typedef struct plugin_instance {
  wasmtime_store_t *store; /* owns the instance and its memory */
  wasmtime_context_t *context;
  wasmtime_memory_t memory;
  wasmtime_func_t process;
  uint32_t buffer;   /* guest address: edgecam_params, then the tile */
  uint32_t capacity; /* tile bytes the buffer holds */
} plugin_instance;

/* What one call of process() came to; outcome is enum edgecam_outcome. */
typedef struct plugin_result {
  int32_t outcome;
  int32_t detail;        /* return code, trap code, or -1 (not a trap) */
  uint32_t exec_us;      /* time inside the call */
  uint64_t memory_bytes; /* linear memory size after the call */
  bool renew;            /* the instance must not be used again */
} plugin_result;

/*
 * Instantiates the plugin in a new store under `limits`: sets up its
 * sandbox, calls _initialize if exported, checks edgecam_abi_version if
 * exported, and calls edgecam_alloc once for a buffer of
 * sizeof(edgecam_params) + capacity bytes. Every call into wasm runs under
 * the epoch deadline. Returns 0, or -1 with `err` set (SANDBOX,
 * INSTANTIATE or ABI). `pre` and `limits` must outlive the instance.
 */
int plugin_instance_new(plugin_instance *instance, wasm_engine_t *engine,
                        const wasmtime_instance_pre_t *pre,
                        const plugin_limits *limits, uint32_t capacity,
                        host_error *err);

/*
 * Runs process() on `length` bytes at `tile` (length <= capacity): copies
 * the tile and params into linear memory, calls, and on EDGECAM_OK copies
 * the tile back; on any other outcome `tile` is left as it was. Fills in
 * `result`; never fails otherwise.
 */
void plugin_instance_run(plugin_instance *instance, const plugin_limits *limits,
                         const edgecam_params *params, uint8_t *tile,
                         uint32_t length, plugin_result *result);

/* Deletes the store and everything in it. Safe on a zeroed instance. */
void plugin_instance_delete(plugin_instance *instance);

#endif /* EDGECAM_PLUGIN_INSTANCE_H */
