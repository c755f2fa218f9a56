/*
 * sobel: edge strength. The tile's Rec. 601 luma is convolved with the two
 * 3 x 3 Sobel kernels, and each pixel becomes |Gx| + |Gy| (the L1
 * magnitude: whole numbers, no square root, at most 2040) clamped to 255,
 * written to every channel. Outside the tile the edge pixels are
 * replicated. Build: algos/build.
 */
#include <stdlib.h>

#include "edgecam_plugin.h"
#include "edgecam_tile.h"

/* Copies the tile's luma into plane (width * height bytes), because the
 * gradients must read neighbours the output has not overwritten yet. */
static void luma_copy(const uint8_t *buf, const edgecam_params *params,
                      uint8_t *plane) {
  uint32_t x, y;

  for (y = 0; y < params->height; y++) {
    const uint8_t *px = buf + (uint64_t)y * params->stride;

    for (x = 0; x < params->width; x++, px += params->channels)
      *plane++ = edgecam_pixel_luma(px, params->channels);
  }
}

/* |Gx| + |Gy| at (x, y), clamped to 255, neighbours clamped to the tile. */
static uint8_t gradient_at(const uint8_t *plane, uint32_t width,
                           uint32_t height, uint32_t x, uint32_t y) {
  uint32_t left = x > 0 ? x - 1 : 0;
  uint32_t right = x + 1 < width ? x + 1 : x;
  const uint8_t *up = plane + (size_t)(y > 0 ? y - 1 : 0) * width;
  const uint8_t *mid = plane + (size_t)y * width;
  const uint8_t *down = plane + (size_t)(y + 1 < height ? y + 1 : y) * width;
  int gx, gy, magnitude;

  gx = (up[right] + 2 * mid[right] + down[right]) -
       (up[left] + 2 * mid[left] + down[left]);
  gy = (down[left] + 2 * down[x] + down[right]) -
       (up[left] + 2 * up[x] + up[right]);
  magnitude = (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
  return magnitude > 255 ? 255 : (uint8_t)magnitude;
}

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  uint32_t c, x, y, width, height, channels;
  uint8_t *plane;

  if (!edgecam_tile_check(buf, len, params, 0))
    return EDGECAM_ERR_PARAMS;

  width = params->width;
  height = params->height;
  channels = params->channels;
  plane = malloc((size_t)width * height);
  if (plane == 0)
    return EDGECAM_ERR_NOMEM;
  luma_copy(buf, params, plane);

  for (y = 0; y < height; y++) {
    uint8_t *px = buf + (uint64_t)y * params->stride;

    for (x = 0; x < width; x++, px += channels) {
      uint8_t edge = gradient_at(plane, width, height, x, y);

      for (c = 0; c < channels; c++)
        px[c] = edge;
    }
  }

  free(plane);
  return EDGECAM_OK;
}
