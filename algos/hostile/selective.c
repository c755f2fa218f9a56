/*
 * Hostile on some tiles only: grayscale everywhere except on the tiles of
 * one row of the image (argv[1], counted in tiles), where it misbehaves as
 * argv[0] says: 1 never returns, 2 grabs memory until refused, 3 traps,
 * 4 tries to open a file. Tests use it to show hostile tiles quarantined
 * while the other tiles flow. Build: algos/build.
 */
#include <stdio.h>
#include <stdlib.h>

#include "edgecam_plugin.h"
#include "edgecam_tile.h"

enum { LOOP = 1, GRAB = 2, TRAP = 3, OPEN = 4 };

static void *volatile newest_block;
static volatile uint32_t spins;

static int misbehave(int mode) {
  FILE *file;

  switch (mode) {
  case LOOP:
    for (;;)
      spins++;
  case GRAB:
    for (;;) {
      void **block = malloc(1024 * 1024);

      if (block == 0)
        return EDGECAM_ERR_NOMEM;
      *block = newest_block;
      newest_block = block;
    }
  case TRAP:
    __builtin_trap();
  case OPEN:
    file = fopen("/etc/passwd", "r");
    if (file == 0)
      return EDGECAM_ERR_DENIED;
    fclose(file);
    return EDGECAM_OK;
  default:
    return EDGECAM_ERR_PARAMS;
  }
}

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  uint32_t x, y;

  if (!edgecam_tile_check(buf, len, params, 2) || params->argc != 2)
    return EDGECAM_ERR_PARAMS;
  if (params->tile_y / params->height == (uint32_t)params->argv[1])
    return misbehave((int)params->argv[0]);
  if (params->channels == 1)
    return EDGECAM_OK;

  for (y = 0; y < params->height; y++) {
    uint8_t *px = buf + (uint64_t)y * params->stride;

    for (x = 0; x < params->width; x++, px += 3)
      px[0] = px[1] = px[2] = edgecam_luma(px[0], px[1], px[2]);
  }
  return EDGECAM_OK;
}
