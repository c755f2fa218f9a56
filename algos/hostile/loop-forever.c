/*
 * Hostile plugin: never returns. The host's epoch deadline must interrupt
 * the call; the tile is then retried and, failing again, quarantined.
 * Build: algos/build.
 */
#include "edgecam_plugin.h"

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  /* A volatile store on every turn keeps the compiler from proving the
   * loop does nothing and dropping it. */
  volatile uint8_t *first = buf;

  (void)len;
  (void)params;
  for (;;)
    *first = (uint8_t)(*first + 1);
}
