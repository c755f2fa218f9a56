/*
 * Instantiating a plugin and calling it under its limits.
 */
#include "plugin-instance.h"

#include <string.h>
#include <time.h>

#include "protocol.h"
#include "sandbox.h"

/* Stores hold one instance of one module; tables are bounded too, since a
 * table.grow is memory the linear-memory cap does not count. */
#define MAX_TABLE_ELEMENTS 65536
#define MAX_INSTANCES 1
#define MAX_TABLES 4
#define MAX_MEMORIES 1

/* A call that fails with less headroom than this under the memory cap is
 * taken to have failed for want of memory (see docs/host.md). */
#define MEMORY_CAP_MARGIN (1024 * 1024)

static const char instantiate_hint[] =
    "check the plugin's _initialize and memory use; raise --memory-mb if "
    "its initial memory is larger than the limit";

static uint64_t now_us(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/*
 * Calls `func` with the epoch deadline set and the ticker armed.
 * Rule: set the deadline before every call. Reason: it is relative to the
 * engine's epoch when set, and a new store's deadline is 0, so even
 * _initialize would trap at once.
 * Rule: clear *trap before every call. Reason: wasmtime_func_call leaves
 * it untouched on success, and a stale trap would be deleted twice.
 */
static wasmtime_error_t *call_guarded(plugin_instance *instance,
                                      const plugin_limits *limits,
                                      const wasmtime_func_t *func,
                                      const wasmtime_val_t *args, size_t nargs,
                                      wasmtime_val_t *results, size_t nresults,
                                      wasm_trap_t **trap) {
  wasmtime_error_t *error;

  *trap = NULL;
  wasmtime_context_set_epoch_deadline(instance->context,
                                      limits->deadline_ticks);
  epoch_ticker_arm(limits->ticker);
  error = wasmtime_func_call(instance->context, func, args, nargs, results,
                             nresults, trap);
  epoch_ticker_disarm(limits->ticker);
  return error;
}

/* Gets a function export; false when the module lacks it. */
static bool get_func(plugin_instance *instance, const wasmtime_instance_t *wi,
                     const char *name, wasmtime_func_t *func) {
  wasmtime_extern_t item;

  if (!wasmtime_instance_export_get(instance->context, wi, name, strlen(name),
                                    &item))
    return false;
  if (item.kind != WASMTIME_EXTERN_FUNC) {
    wasmtime_extern_delete(&item);
    return false;
  }
  *func = item.of.func;
  return true;
}

/* Calls a start-up export (_initialize, edgecam_abi_version,
 * edgecam_alloc) and turns a trap or error into an INSTANTIATE error. */
static int call_startup(plugin_instance *instance, const plugin_limits *limits,
                        const char *name, const wasmtime_func_t *func,
                        const wasmtime_val_t *args, size_t nargs,
                        wasmtime_val_t *results, size_t nresults,
                        host_error *err) {
  wasm_trap_t *trap;
  wasmtime_error_t *error = call_guarded(instance, limits, func, args, nargs,
                                         results, nresults, &trap);

  if (error != NULL) {
    host_error_take_wasmtime(err, "INSTANTIATE", instantiate_hint, name, error);
    return -1;
  }
  if (trap != NULL) {
    host_error_take_trap(err, "INSTANTIATE", instantiate_hint, name, trap);
    return -1;
  }
  return 0;
}

static int instantiate(plugin_instance *instance,
                       const wasmtime_instance_pre_t *pre,
                       const plugin_limits *limits, wasmtime_instance_t *wi,
                       host_error *err) {
  wasm_trap_t *trap = NULL;
  wasmtime_error_t *error;

  /* A wasm start function runs inside instantiation, under the deadline. */
  wasmtime_context_set_epoch_deadline(instance->context,
                                      limits->deadline_ticks);
  epoch_ticker_arm(limits->ticker);
  error = wasmtime_instance_pre_instantiate(pre, instance->context, wi, &trap);
  epoch_ticker_disarm(limits->ticker);

  if (error != NULL) {
    host_error_take_wasmtime(err, "INSTANTIATE", instantiate_hint,
                             "instantiating", error);
    return -1;
  }
  if (trap != NULL) {
    host_error_take_trap(err, "INSTANTIATE", instantiate_hint, "instantiating",
                         trap);
    return -1;
  }
  return 0;
}

/* Runs the plugin's start-up calls: _initialize, the ABI version check,
 * and the allocation of the tile buffer. */
static int start_plugin(plugin_instance *instance, const plugin_limits *limits,
                        const wasmtime_instance_t *wi, host_error *err) {
  wasmtime_func_t func;
  wasmtime_val_t arg;
  wasmtime_val_t result;
  uint64_t buffer_size = sizeof(edgecam_params) + instance->capacity;

  /* Rule: call _initialize once, first. Reason: a WASI reactor
   * (-mexec-model=reactor) sets up libc there; without it malloc and
   * stdio misbehave. */
  if (get_func(instance, wi, "_initialize", &func) &&
      call_startup(instance, limits, "_initialize", &func, NULL, 0, NULL, 0,
                   err) != 0)
    return -1;

  if (get_func(instance, wi, "edgecam_abi_version", &func)) {
    if (call_startup(instance, limits, "edgecam_abi_version", &func, NULL, 0,
                     &result, 1, err) != 0)
      return -1;
    if (result.of.i32 != EDGECAM_ABI_VERSION) {
      host_error_set(err, "ABI",
                     "rebuild the plugin against this algos/edgecam_plugin.h",
                     "the plugin was built for ABI version %d; this host "
                     "speaks version %d",
                     result.of.i32, EDGECAM_ABI_VERSION);
      return -1;
    }
  }

  if (!get_func(instance, wi, "edgecam_alloc", &func)) {
    host_error_set(err, "MISSING_EXPORT", NULL,
                   "the instance lacks edgecam_alloc");
    return -1;
  }
  arg.kind = WASMTIME_I32;
  arg.of.i32 = (int32_t)buffer_size;
  if (call_startup(instance, limits, "edgecam_alloc", &func, &arg, 1, &result,
                   1, err) != 0)
    return -1;
  instance->buffer = (uint32_t)result.of.i32;
  if (instance->buffer == 0 ||
      instance->buffer + buffer_size >
          wasmtime_memory_data_size(instance->context, &instance->memory)) {
    host_error_set(err, "INSTANTIATE",
                   "raise --memory-mb, or use smaller slots",
                   "edgecam_alloc(%llu) gave no usable buffer under the "
                   "memory limit of %llu bytes",
                   (unsigned long long)buffer_size,
                   (unsigned long long)limits->memory_bytes);
    return -1;
  }
  return 0;
}

int plugin_instance_new(plugin_instance *instance, wasm_engine_t *engine,
                        const wasmtime_instance_pre_t *pre,
                        const plugin_limits *limits, uint32_t capacity,
                        host_error *err) {
  wasmtime_instance_t wi;
  wasmtime_extern_t item;

  memset(instance, 0, sizeof *instance);
  instance->capacity = capacity;
  instance->store = wasmtime_store_new(engine, NULL, NULL);
  instance->context = wasmtime_store_context(instance->store);
  wasmtime_store_limiter(instance->store, (int64_t)limits->memory_bytes,
                         MAX_TABLE_ELEMENTS, MAX_INSTANCES, MAX_TABLES,
                         MAX_MEMORIES);

  if (sandbox_configure_store(instance->context, err) != 0 ||
      instantiate(instance, pre, limits, &wi, err) != 0)
    goto fail;

  /* Exports were checked when the module was loaded (plugin-module.h). */
  if (!wasmtime_instance_export_get(instance->context, &wi, "memory", 6,
                                    &item) ||
      item.kind != WASMTIME_EXTERN_MEMORY ||
      !get_func(instance, &wi, "process", &instance->process)) {
    host_error_set(err, "MISSING_EXPORT", NULL,
                   "the instance lacks memory or process");
    goto fail;
  }
  instance->memory = item.of.memory;

  if (start_plugin(instance, limits, &wi, err) != 0)
    goto fail;
  return 0;

fail:
  plugin_instance_delete(instance);
  return -1;
}

/* Sorts a call that trapped or failed into an outcome. */
static void classify_failure(wasmtime_error_t *error, wasm_trap_t *trap,
                             bool at_cap, plugin_result *result) {
  wasmtime_trap_code_t code;

  result->renew = true;
  result->outcome = EDGECAM_OUTCOME_TRAP;
  result->detail = -1;

  /* An error that is not a trap: the plugin called proc_exit (exit()),
   * or a host function failed. Either way the instance is finished. */
  if (error != NULL) {
    wasmtime_error_delete(error);
    return;
  }
  if (wasmtime_trap_code(trap, &code)) {
    result->detail = code;
    if (code == WASMTIME_TRAP_CODE_INTERRUPT)
      result->outcome = EDGECAM_OUTCOME_TIMEOUT;
    else if (at_cap)
      result->outcome = EDGECAM_OUTCOME_MEMORY;
  } else if (at_cap) {
    result->outcome = EDGECAM_OUTCOME_MEMORY;
  }
  wasm_trap_delete(trap);
}

/* Sorts a call that returned `rc` into an outcome. */
static void classify_return(int32_t rc, bool at_cap, plugin_result *result) {
  result->detail = rc;
  result->renew = false;
  if (rc == EDGECAM_OK) {
    result->outcome = EDGECAM_OUTCOME_OK;
  } else if (rc == EDGECAM_ERR_NOMEM || at_cap) {
    /* Renewed, so the next tile starts with the memory given back. */
    result->outcome = EDGECAM_OUTCOME_MEMORY;
    result->renew = true;
  } else {
    result->outcome = EDGECAM_OUTCOME_PLUGIN;
  }
}

void plugin_instance_run(plugin_instance *instance, const plugin_limits *limits,
                         const edgecam_params *params, uint8_t *tile,
                         uint32_t length, plugin_result *result) {
  uint32_t tile_addr = instance->buffer + (uint32_t)sizeof *params;
  wasmtime_val_t args[3];
  wasmtime_val_t ret;
  wasm_trap_t *trap;
  wasmtime_error_t *error;
  uint8_t *memory;
  uint64_t started;
  bool at_cap;

  /* Step 1: params and tile into linear memory. The buffer lies inside
   * memory (checked at start-up), and memory never shrinks. */
  memory = wasmtime_memory_data(instance->context, &instance->memory);
  memcpy(memory + instance->buffer, params, sizeof *params);
  memcpy(memory + tile_addr, tile, length);

  /* Step 2: the call. */
  args[0].kind = WASMTIME_I32;
  args[0].of.i32 = (int32_t)tile_addr;
  args[1].kind = WASMTIME_I32;
  args[1].of.i32 = (int32_t)length;
  args[2].kind = WASMTIME_I32;
  args[2].of.i32 = (int32_t)instance->buffer;
  started = now_us();
  error = call_guarded(instance, limits, &instance->process, args, 3, &ret, 1,
                       &trap);
  result->exec_us = (uint32_t)(now_us() - started);

  /* Step 3: the outcome. Rule: read the memory's base and size again
   * after every call. Reason: memory.grow may have moved it. */
  memory = wasmtime_memory_data(instance->context, &instance->memory);
  result->memory_bytes =
      wasmtime_memory_data_size(instance->context, &instance->memory);
  at_cap = result->memory_bytes + MEMORY_CAP_MARGIN > limits->memory_bytes;
  if (error != NULL || trap != NULL)
    classify_failure(error, trap, at_cap, result);
  else
    classify_return(ret.of.i32, at_cap, result);

  /* Step 4: only a tile the plugin accepted goes back to the slot. */
  if (result->outcome == EDGECAM_OUTCOME_OK)
    memcpy(tile, memory + tile_addr, length);
}

void plugin_instance_delete(plugin_instance *instance) {
  if (instance->store != NULL)
    wasmtime_store_delete(instance->store);
  memset(instance, 0, sizeof *instance);
}
