/*
 * Compile mode, step by step: compile, check exports, link, instantiate
 * once, save.
 */
#include "compile.h"

#include "engine.h"
#include "epoch-ticker.h"
#include "plugin-instance.h"
#include "plugin-module.h"
#include "sandbox.h"

/* Instantiates the module once under the limits serve mode will use, so
 * a plugin that cannot start is refused now, not on a device later. */
static int prove_startable(wasm_engine_t *engine,
                           const wasmtime_module_t *module,
                           const host_options *options, epoch_ticker *ticker,
                           host_error *err) {
  plugin_limits limits = {
      .memory_bytes = (uint64_t)options->memory_mb << 20,
      .deadline_ticks = options->deadline_ms,
      .ticker = ticker,
  };
  wasmtime_linker_t *linker = sandbox_linker_new(engine, err);
  wasmtime_instance_pre_t *pre = NULL;
  plugin_instance instance;
  int rc = -1;

  if (linker == NULL)
    return -1;
  if (sandbox_prepare(linker, module, &pre, err) == 0 &&
      plugin_instance_new(&instance, engine, pre, &limits, 0, err) == 0) {
    plugin_instance_delete(&instance);
    rc = 0;
  }
  if (pre != NULL)
    wasmtime_instance_pre_delete(pre);
  wasmtime_linker_delete(linker);
  return rc;
}

int compile_main(const host_options *options) {
  host_error err = {0};
  wasm_engine_t *engine = engine_new();
  epoch_ticker ticker = {0};
  wasmtime_module_t *module = NULL;
  int rc = -1;

  if (engine == NULL) {
    host_error_set(&err, "ENGINE", "run: bash scripts/fetch-wasmtime.sh",
                   "Wasmtime refused the engine settings");
    goto done;
  }
  if (epoch_ticker_start(&ticker, engine) != 0) {
    host_error_set(&err, "ENGINE", "check the process's thread limit",
                   "cannot start the epoch ticker thread");
    goto done;
  }

  if (plugin_module_compile(engine, options->plugin_path, &module, &err) == 0 &&
      plugin_module_check_exports(module, &err) == 0 &&
      prove_startable(engine, module, options, &ticker, &err) == 0 &&
      plugin_module_save(module, options->out_path, &err) == 0)
    rc = 0;

done:
  if (module != NULL)
    wasmtime_module_delete(module);
  epoch_ticker_stop(&ticker);
  if (engine != NULL)
    wasm_engine_delete(engine);
  if (rc != 0) {
    host_error_print_json(&err, options->host_id, stderr);
    return 2;
  }
  return 0;
}
