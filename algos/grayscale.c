/*
 * grayscale: replaces every pixel with its Rec. 601 luma, written to all
 * three channels so the tile keeps its format (a PPM stays a PPM). A gray
 * tile is already luma and is left as it is. Build: algos/build.
 */
#include "edgecam_plugin.h"
#include "edgecam_tile.h"

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  uint32_t x, y;

  if (!edgecam_tile_check(buf, len, params, 0))
    return EDGECAM_ERR_PARAMS;
  if (params->channels == 1)
    return EDGECAM_OK;

  for (y = 0; y < params->height; y++) {
    uint8_t *px = buf + (uint64_t)y * params->stride;

    for (x = 0; x < params->width; x++, px += 3) {
      uint8_t luma = edgecam_luma(px[0], px[1], px[2]);

      px[0] = luma;
      px[1] = luma;
      px[2] = luma;
    }
  }
  return EDGECAM_OK;
}
