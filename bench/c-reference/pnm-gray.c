/*
 * Header parsing and the gray loop of the C reference. Built with -O3
 * -march=native by bench/build.sh: this is the machine's limit, so the loop
 * may use every vector instruction the CPU has.
 */
#include "pnm-gray.h"

#define EDGECAM_NO_ENTRY_POINTS
#include "edgecam_tile.h"

/* Skips whitespace and '#' comments; returns the new position. */
static size_t skip_space(const uint8_t *buf, size_t len, size_t at) {
  while (at < len) {
    if (buf[at] == '#') {
      while (at < len && buf[at] != '\n')
        at++;
    } else if (buf[at] == ' ' || buf[at] == '\t' || buf[at] == '\n' ||
               buf[at] == '\r') {
      at++;
    } else {
      break;
    }
  }
  return at;
}

/* Reads a decimal number of at most 9 digits; returns -1 when none. */
static long read_number(const uint8_t *buf, size_t len, size_t *at) {
  long value = 0;
  size_t start;

  *at = skip_space(buf, len, *at);
  start = *at;
  while (*at < len && *at - start < 9 && buf[*at] >= '0' && buf[*at] <= '9')
    value = value * 10 + (buf[(*at)++] - '0');
  return *at == start ? -1 : value;
}

int pnm_parse(const uint8_t *buf, size_t len, struct pnm_geometry *g) {
  size_t at = 2;
  long width, height, maxval;

  if (len < 3 || buf[0] != 'P' || (buf[1] != '5' && buf[1] != '6'))
    return -1;
  width = read_number(buf, len, &at);
  height = read_number(buf, len, &at);
  maxval = read_number(buf, len, &at);
  if (width <= 0 || height <= 0 || maxval != 255 || at >= len)
    return -1;

  /* Exactly one whitespace byte separates maxval from the pixels. */
  g->width = (uint32_t)width;
  g->height = (uint32_t)height;
  g->channels = buf[1] == '6' ? 3 : 1;
  g->header_length = at + 1;
  if (len - g->header_length != (size_t)width * height * g->channels)
    return -1;
  return 0;
}

void pnm_gray(uint8_t *buf, const struct pnm_geometry *g) {
  uint8_t *px = buf + g->header_length;
  size_t i, pixels = (size_t)g->width * g->height;

  if (g->channels != 3)
    return;
  for (i = 0; i < pixels; i++, px += 3) {
    uint8_t luma = edgecam_luma(px[0], px[1], px[2]);

    px[0] = luma;
    px[1] = luma;
    px[2] = luma;
  }
}
