/*
 * Hostile plugin: executes WebAssembly's `unreachable` instruction, a trap
 * on every call. The host must report it as a trap and renew the instance.
 * Build: algos/build.
 */
#include "edgecam_plugin.h"

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  (void)buf;
  (void)len;
  (void)params;
  __builtin_trap();
}
