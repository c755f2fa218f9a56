/*
 * invert: the photographic negative, 255 - v on every channel of every
 * pixel. Bytes between the end of a row and the next stride are left alone.
 * Build: algos/build.
 */
#include "edgecam_plugin.h"
#include "edgecam_tile.h"

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  uint32_t i, y, row_bytes;

  if (!edgecam_tile_check(buf, len, params, 0))
    return EDGECAM_ERR_PARAMS;

  row_bytes = params->width * params->channels;
  for (y = 0; y < params->height; y++) {
    uint8_t *row = buf + (uint64_t)y * params->stride;

    for (i = 0; i < row_bytes; i++)
      row[i] = (uint8_t)(255 - row[i]);
  }
  return EDGECAM_OK;
}
