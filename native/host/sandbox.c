/*
 * The plugin's imports: WASI preview 1 from Wasmtime, minus the ability to
 * block.
 */
#include "sandbox.h"

#include <stdint.h>

#define WASI_MODULE "wasi_snapshot_preview1"
#define WASI_ERRNO_NOTSUP 58

/*
 * poll_oneoff, the call behind sleep() and nanosleep(), answers "not
 * supported" at once. Rule: a plugin must not block inside the host.
 * Reason: epoch interruption is checked only in wasm code, so a plugin
 * asleep in a host call would outlive its deadline.
 */
static wasm_trap_t *refuse_poll(void *env, wasmtime_caller_t *caller,
                                const wasmtime_val_t *args, size_t nargs,
                                wasmtime_val_t *results, size_t nresults) {
  (void)env;
  (void)caller;
  (void)args;
  (void)nargs;
  (void)nresults;
  results[0].kind = WASMTIME_I32;
  results[0].of.i32 = WASI_ERRNO_NOTSUP;
  return NULL;
}

/* (i32, i32, i32, i32) -> i32, the type of poll_oneoff. */
static wasm_functype_t *poll_oneoff_type(void) {
  wasm_valtype_t *params[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i32(),
                               wasm_valtype_new_i32(), wasm_valtype_new_i32()};
  wasm_valtype_t *results[1] = {wasm_valtype_new_i32()};
  wasm_valtype_vec_t param_vec;
  wasm_valtype_vec_t result_vec;

  wasm_valtype_vec_new(&param_vec, 4, params);
  wasm_valtype_vec_new(&result_vec, 1, results);
  return wasm_functype_new(&param_vec, &result_vec);
}

wasmtime_linker_t *sandbox_linker_new(wasm_engine_t *engine, host_error *err) {
  static const char hint[] =
      "this Wasmtime library lacks WASI; run: bash scripts/fetch-wasmtime.sh";
  wasmtime_linker_t *linker = wasmtime_linker_new(engine);
  wasmtime_error_t *error;
  wasm_functype_t *type;

  error = wasmtime_linker_define_wasi(linker);
  if (error != NULL) {
    host_error_take_wasmtime(err, "SANDBOX", hint, "defining WASI", error);
    wasmtime_linker_delete(linker);
    return NULL;
  }

  /* Later definitions replace WASI's own. */
  wasmtime_linker_allow_shadowing(linker, true);
  type = poll_oneoff_type();
  error = wasmtime_linker_define_func(
      linker, WASI_MODULE, sizeof WASI_MODULE - 1, "poll_oneoff",
      sizeof "poll_oneoff" - 1, type, refuse_poll, NULL, NULL);
  wasm_functype_delete(type);
  if (error != NULL) {
    host_error_take_wasmtime(err, "SANDBOX", hint, "replacing poll_oneoff",
                             error);
    wasmtime_linker_delete(linker);
    return NULL;
  }
  return linker;
}

int sandbox_configure_store(wasmtime_context_t *context, host_error *err) {
  wasi_config_t *wasi = wasi_config_new();
  wasmtime_error_t *error;

  /* Nothing is inherited but the two output streams: no preopened
   * directories, no environment, no arguments, no stdin, no network. */
  wasi_config_inherit_stdout(wasi);
  wasi_config_inherit_stderr(wasi);

  /* Takes ownership of wasi, even on failure. */
  error = wasmtime_context_set_wasi(context, wasi);
  if (error != NULL) {
    host_error_take_wasmtime(err, "SANDBOX", NULL, "configuring WASI", error);
    return -1;
  }
  return 0;
}

int sandbox_prepare(const wasmtime_linker_t *linker,
                    const wasmtime_module_t *module,
                    wasmtime_instance_pre_t **pre, host_error *err) {
  wasmtime_error_t *error =
      wasmtime_linker_instantiate_pre(linker, module, pre);

  if (error != NULL) {
    host_error_take_wasmtime(
        err, "INSTANTIATE",
        "a plugin may import only wasi_snapshot_preview1 functions; build "
        "it with algos/build",
        "linking the plugin's imports", error);
    return -1;
  }
  return 0;
}
