/*
 * sobel: edge strength. The tile's Rec. 601 luma is convolved with the two
 * 3 x 3 Sobel kernels, and each pixel becomes |Gx| + |Gy| (the L1
 * magnitude: whole numbers, no square root, at most 2040) clamped to 255,
 * written to every channel. Outside the tile the edge pixels are
 * replicated. Build: algos/build.
 */
#include <stdlib.h>
#include <string.h>

#include "edgecam_plugin.h"
#include "edgecam_tile.h"

/*
 * Copies the tile's luma into plane, (width + 2) x (height + 2) bytes with
 * a one-pixel border that repeats the edge pixels. The copy is needed
 * anyway, since the output overwrites neighbours the gradients still read;
 * the border lets every pixel use the same 3 x 3 window without clamping.
 */
static void luma_copy(const uint8_t *buf, const edgecam_params *params,
                      uint8_t *plane) {
  uint32_t x, y, width = params->width, height = params->height;
  size_t pitch = (size_t)width + 2;

  for (y = 0; y < height; y++) {
    const uint8_t *px = buf + (uint64_t)y * params->stride;
    uint8_t *row = plane + (y + 1) * pitch;

    if (params->channels == 1)
      memcpy(row + 1, px, width);
    else
      for (x = 0; x < width; x++, px += 3)
        row[x + 1] = edgecam_luma(px[0], px[1], px[2]);
    row[0] = row[1];
    row[width + 1] = row[width];
  }
  memcpy(plane, plane + pitch, pitch);
  memcpy(plane + (height + 1) * pitch, plane + height * pitch, pitch);
}

/* |Gx| + |Gy| around centre, clamped to 255; rows are pitch bytes apart. */
static uint8_t gradient_at(const uint8_t *centre, size_t pitch) {
  const uint8_t *up = centre - pitch;
  const uint8_t *down = centre + pitch;
  int gx, gy, magnitude;

  gx = (up[1] + 2 * centre[1] + down[1]) - (up[-1] + 2 * centre[-1] + down[-1]);
  gy = (down[-1] + 2 * down[0] + down[1]) - (up[-1] + 2 * up[0] + up[1]);
  magnitude = (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
  return magnitude > 255 ? 255 : (uint8_t)magnitude;
}

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  uint32_t x, y, channels;
  size_t pitch;
  uint8_t *plane;

  if (!edgecam_tile_check(buf, len, params, 0))
    return EDGECAM_ERR_PARAMS;

  channels = params->channels;
  pitch = (size_t)params->width + 2;
  plane = malloc(pitch * (params->height + 2));
  if (plane == 0)
    return EDGECAM_ERR_NOMEM;
  luma_copy(buf, params, plane);

  for (y = 0; y < params->height; y++) {
    uint8_t *px = buf + (uint64_t)y * params->stride;
    const uint8_t *centre = plane + (y + 1) * pitch + 1;

    if (channels == 1) {
      for (x = 0; x < params->width; x++)
        px[x] = gradient_at(centre + x, pitch);
      continue;
    }
    for (x = 0; x < params->width; x++, px += 3) {
      uint8_t edge = gradient_at(centre + x, pitch);

      px[0] = edge;
      px[1] = edge;
      px[2] = edge;
    }
  }

  free(plane);
  return EDGECAM_OK;
}
