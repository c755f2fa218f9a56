/*
 * box-blur: each channel of each pixel becomes the mean of the
 * (2r + 1) x (2r + 1) window around it, rounded half up. At the tile's
 * edges the window is cut to the pixels inside the tile and the mean is
 * taken over those alone, so edges neither darken nor wrap around.
 * Argument: radius r (default 1, a whole number 1..16). Build: algos/build.
 *
 * Two passes over a scratch copy: horizontal window sums first (the tile is
 * only read), then a running vertical sum of those that writes the tile.
 */
#include <stdlib.h>

#include "edgecam_plugin.h"
#include "edgecam_tile.h"

/* How many of the columns (or rows) first..last of an extent n lie in it,
 * for a window centred on i. */
static uint32_t window_span(uint32_t i, uint32_t r, uint32_t n) {
  uint32_t first = i > r ? i - r : 0;
  uint32_t last = i + r < n ? i + r : n - 1;

  return last - first + 1;
}

/* Writes into sums (width * channels entries) the sum of each channel over
 * the horizontal window of every pixel of one row. */
static void row_sums(const uint8_t *row, uint16_t *sums, uint32_t width,
                     uint32_t channels, uint32_t r) {
  uint32_t c, x;

  for (c = 0; c < channels; c++) {
    uint32_t sum = 0;

    for (x = 0; x <= r && x < width; x++)
      sum += row[x * channels + c];
    for (x = 0; x < width; x++) {
      sums[x * channels + c] = (uint16_t)sum;
      if (x + r + 1 < width)
        sum += row[(x + r + 1) * channels + c];
      if (x >= r)
        sum -= row[(x - r) * channels + c];
    }
  }
}

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  double radius;
  uint32_t r, i, x, y, width, height, channels, row_bytes;
  uint16_t *sums; /* 33 * 255 fits: r <= 16 */
  uint32_t *column;

  if (!edgecam_tile_check(buf, len, params, 1))
    return EDGECAM_ERR_PARAMS;
  if (!edgecam_arg_read(params, 0, 1, 16, 1, &radius) ||
      !edgecam_arg_is_whole(radius))
    return EDGECAM_ERR_PARAMS;

  r = (uint32_t)radius;
  width = params->width;
  height = params->height;
  channels = params->channels;
  row_bytes = width * channels;
  sums = malloc((size_t)row_bytes * height * sizeof *sums);
  column = malloc((size_t)row_bytes * sizeof *column);
  if (sums == 0 || column == 0) {
    free(sums);
    free(column);
    return EDGECAM_ERR_NOMEM;
  }

  /* Horizontal pass: reads the whole tile before anything is written. */
  for (y = 0; y < height; y++)
    row_sums(buf + (uint64_t)y * params->stride, sums + (size_t)y * row_bytes,
             width, channels, r);

  /* Vertical pass: column[i] holds the sum of sums over the rows of the
   * current window; it slides down one row per output row. */
  for (i = 0; i < row_bytes; i++)
    column[i] = 0;
  for (y = 0; y <= r && y < height; y++)
    for (i = 0; i < row_bytes; i++)
      column[i] += sums[(size_t)y * row_bytes + i];

  for (y = 0; y < height; y++) {
    uint8_t *row = buf + (uint64_t)y * params->stride;
    uint32_t rows_in = window_span(y, r, height);

    for (x = 0; x < width; x++) {
      uint32_t count = rows_in * window_span(x, r, width);
      uint32_t c;

      for (c = 0; c < channels; c++) {
        i = x * channels + c;
        row[i] = (uint8_t)((column[i] + count / 2) / count);
      }
    }
    if (y + r + 1 < height)
      for (i = 0; i < row_bytes; i++)
        column[i] += sums[(size_t)(y + r + 1) * row_bytes + i];
    if (y >= r)
      for (i = 0; i < row_bytes; i++)
        column[i] -= sums[(size_t)(y - r) * row_bytes + i];
  }

  free(sums);
  free(column);
  return EDGECAM_OK;
}
