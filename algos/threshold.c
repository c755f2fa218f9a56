/*
 * threshold: black and white by luma. A pixel whose Rec. 601 luma is at
 * least the level becomes 255 on every channel, any other 0.
 * Argument: level (default 128, 0..255; a fraction is allowed and compares
 * as it is, so 127.5 acts as 128). Build: algos/build.
 */
#include "edgecam_plugin.h"
#include "edgecam_tile.h"

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  double level;
  uint32_t lowest, x, y;

  if (!edgecam_tile_check(buf, len, params, 1))
    return EDGECAM_ERR_PARAMS;
  if (!edgecam_arg_read(params, 0, 0, 255, 128, &level))
    return EDGECAM_ERR_PARAMS;

  /* Luma is whole, so luma >= level exactly when luma >= ceil(level): one
   * integer comparison per pixel instead of a conversion to double. */
  lowest = (uint32_t)level;
  if (lowest < level)
    lowest++;

  for (y = 0; y < params->height; y++) {
    uint8_t *px = buf + (uint64_t)y * params->stride;

    if (params->channels == 1) {
      for (x = 0; x < params->width; x++)
        px[x] = px[x] >= lowest ? 255 : 0;
      continue;
    }
    for (x = 0; x < params->width; x++, px += 3) {
      uint8_t out = edgecam_luma(px[0], px[1], px[2]) >= lowest ? 255 : 0;

      px[0] = out;
      px[1] = out;
      px[2] = out;
    }
  }
  return EDGECAM_OK;
}
