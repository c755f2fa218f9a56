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
  uint32_t c, x, y, channels;

  if (!edgecam_tile_check(buf, len, params, 1))
    return EDGECAM_ERR_PARAMS;
  if (!edgecam_arg_read(params, 0, 0, 255, 128, &level))
    return EDGECAM_ERR_PARAMS;

  channels = params->channels;
  for (y = 0; y < params->height; y++) {
    uint8_t *px = buf + (uint64_t)y * params->stride;

    for (x = 0; x < params->width; x++, px += channels) {
      uint8_t out = edgecam_pixel_luma(px, channels) >= level ? 255 : 0;

      for (c = 0; c < channels; c++)
        px[c] = out;
    }
  }
  return EDGECAM_OK;
}
