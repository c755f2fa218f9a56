/*
 * Hostile plugin: allocates 1 MiB blocks until malloc returns NULL, then
 * returns EDGECAM_ERR_NOMEM. Nothing in the plugin stops it: the host's
 * store limiter must refuse to grow linear memory past its limit (malloc
 * then sees memory.grow fail and returns NULL, with no trap).
 * Build: algos/build.
 */
#include <stdlib.h>

#include "edgecam_plugin.h"

#define BLOCK_BYTES (1024 * 1024)

/* The chain of blocks is kept reachable from here, so the compiler cannot
 * see that nothing uses them and remove the calls to malloc. */
static void *volatile newest_block;

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  (void)buf;
  (void)len;
  (void)params;

  for (;;) {
    void **block = malloc(BLOCK_BYTES);

    if (block == 0)
      return EDGECAM_ERR_NOMEM;
    *block = newest_block;
    newest_block = block;
  }
}
