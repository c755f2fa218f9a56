/*
 * The engine's settings, in one place so that the engine key cannot drift
 * from what the engine really does.
 */
#include "engine.h"

#include <stdint.h>
#include <stdio.h>

#include "wasmtime-version.h"

wasm_engine_t *engine_new(void) {
  wasm_config_t *config = wasm_config_new();

  if (config == NULL)
    return NULL;

  wasmtime_config_strategy_set(config, WASMTIME_STRATEGY_CRANELIFT);
  wasmtime_config_cranelift_opt_level_set(config, WASMTIME_OPT_LEVEL_SPEED);

  /*
   * Rule: bound time with epochs, not fuel. Reason: epoch checks cost
   * 10-16 % in a pixel loop, while fuel needs a budget per call that no
   * plugin author can predict; epochs give a deadline in milliseconds.
   */
  wasmtime_config_epoch_interruption_set(config, true);
  wasmtime_config_consume_fuel_set(config, false);

  /* Takes ownership of config. */
  return wasm_engine_new_with_config(config);
}

/*
 * The x86-64 features Cranelift detects on the host and compiles for: a
 * module compiled where AVX2 exists does not load where it does not.
 */
static uint32_t cpu_feature_bits(void) {
  uint32_t bits = 0;

  __builtin_cpu_init();
#define FEATURE(bit, name)                                                     \
  if (__builtin_cpu_supports(name))                                            \
    bits |= 1u << (bit);
  FEATURE(0, "sse3")
  FEATURE(1, "ssse3")
  FEATURE(2, "sse4.1")
  FEATURE(3, "sse4.2")
  FEATURE(4, "popcnt")
  FEATURE(5, "avx")
  FEATURE(6, "avx2")
  FEATURE(7, "fma")
  FEATURE(8, "bmi")
  FEATURE(9, "bmi2")
  FEATURE(10, "lzcnt")
  FEATURE(11, "cmpxchg16b")
  FEATURE(12, "avx512f")
  FEATURE(13, "avx512vl")
  FEATURE(14, "avx512dq")
  FEATURE(15, "avx512bitalg")
  FEATURE(16, "avx512vbmi")
#undef FEATURE
  return bits;
}

int engine_key(char *out, size_t size) {
  int length = snprintf(out, size,
                        "wasmtime" EDGECAM_WASMTIME_VERSION
                        "-x86_64-cranelift-speed-epoch-nofuel-cpu%05x",
                        cpu_feature_bits());

  if (length < 0 || (size_t)length >= size)
    return -1;
  return length;
}
