/*
 * brightness-contrast: v' = clamp(round((v - 128) * contrast + 128 +
 * brightness)) on every channel, rounding half up (floor(x + 0.5)) and
 * clamping to 0..255. Arguments: brightness (default 0, -255..255) and
 * contrast (a factor, default 1, 0..4). Build: algos/build.
 */
#include <math.h>

#include "edgecam_plugin.h"
#include "edgecam_tile.h"

/* Fills map[v] = v' for every byte value: 256 evaluations of the formula
 * instead of one per channel per pixel. */
static void curve_fill(uint8_t map[256], double brightness, double contrast) {
  int v;

  for (v = 0; v < 256; v++) {
    double out = floor((v - 128) * contrast + 128 + brightness + 0.5);

    map[v] = out < 0 ? 0 : out > 255 ? 255 : (uint8_t)out;
  }
}

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  double brightness, contrast;
  uint8_t map[256];
  uint32_t i, y, row_bytes;

  if (!edgecam_tile_check(buf, len, params, 2))
    return EDGECAM_ERR_PARAMS;
  if (!edgecam_arg_read(params, 0, -255, 255, 0, &brightness) ||
      !edgecam_arg_read(params, 1, 0, 4, 1, &contrast))
    return EDGECAM_ERR_PARAMS;

  curve_fill(map, brightness, contrast);

  row_bytes = params->width * params->channels;
  for (y = 0; y < params->height; y++) {
    uint8_t *row = buf + (uint64_t)y * params->stride;

    for (i = 0; i < row_bytes; i++)
      row[i] = map[row[i]];
  }
  return EDGECAM_OK;
}
