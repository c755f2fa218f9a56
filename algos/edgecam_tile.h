/*
 * Helpers every EdgeCam plugin shares: checking a tile's geometry and
 * arguments before touching it, reading an argument with its default, and
 * the Rec. 601 luma all the gray-level plugins agree on. Header-only, so a
 * plugin stays one .c file; include it after edgecam_plugin.h.
 */
#ifndef EDGECAM_TILE_H
#define EDGECAM_TILE_H

#include <stdint.h>

#include "edgecam_plugin.h"

/*
 * Returns 1 when buf, len and params describe a tile the plugin may touch:
 * the ABI version is this header's, width and height are at least 1,
 * channels is 1 or 3, each row fits in stride, the last row ends within len,
 * and at most max_args arguments were given. Returns 0 otherwise; the plugin
 * then returns EDGECAM_ERR_PARAMS without writing anything.
 */
static inline int edgecam_tile_check(const uint8_t *buf, uint32_t len,
                                     const edgecam_params *params,
                                     uint32_t max_args) {
  uint64_t row_bytes, needed;

  if (buf == 0 || params == 0)
    return 0;
  if (params->abi_version != EDGECAM_ABI_VERSION)
    return 0;
  if (params->width == 0 || params->height == 0)
    return 0;
  if (params->channels != 1 && params->channels != 3)
    return 0;
  if (params->argc > max_args || params->argc > EDGECAM_MAX_ARGS)
    return 0;

  /* 64-bit sums: a hostile host could pick values whose 32-bit product
   * wraps around to something that looks small enough. */
  row_bytes = (uint64_t)params->width * params->channels;
  if (row_bytes > params->stride)
    return 0;
  needed = (uint64_t)params->stride * (params->height - 1) + row_bytes;
  return needed <= len;
}

/*
 * Reads argument i into *out: fallback when fewer than i + 1 arguments were
 * given, else argv[i] when it lies in [min, max]. Returns 0 when the value
 * is out of range or NaN (NaN fails every comparison), 1 otherwise.
 */
static inline int edgecam_arg_read(const edgecam_params *params, uint32_t i,
                                   double min, double max, double fallback,
                                   double *out) {
  double v;

  if (i >= params->argc) {
    *out = fallback;
    return 1;
  }
  v = params->argv[i];
  if (!(v >= min && v <= max))
    return 0;
  *out = v;
  return 1;
}

/* Returns 1 when v is a whole number (as read by edgecam_arg_read). */
static inline int edgecam_arg_is_whole(double v) {
  return (double)(int64_t)v == v;
}

/*
 * Rec. 601 luma Y = 0.299 R + 0.587 G + 0.114 B, rounded half up, exactly:
 * the weights are whole thousandths, so Y = (299 R + 587 G + 114 B + 500)
 * / 1000 in integers is the exact real value rounded to the nearest byte
 * (a tie, a fraction of exactly .5, goes up). The shortcut
 * (77 R + 150 G + 29 B + 128) >> 8 differs from it by one on many colours.
 */
static inline uint8_t edgecam_luma(uint8_t r, uint8_t g, uint8_t b) {
  return (uint8_t)((299u * r + 587u * g + 114u * b + 500u) / 1000u);
}

/* Luma of the pixel at px: itself for gray, Rec. 601 for RGB. */
static inline uint8_t edgecam_pixel_luma(const uint8_t *px, uint32_t channels) {
  return channels == 1 ? px[0] : edgecam_luma(px[0], px[1], px[2]);
}

#endif /* EDGECAM_TILE_H */
