/*
 * The C reference's tile work: find the pixels of a binary PNM tile and turn
 * them to Rec. 601 gray in place, with the same formula as the grayscale
 * plugin (algos/edgecam_tile.h), so every method writes the same bytes.
 */
#ifndef BENCH_PNM_GRAY_H
#define BENCH_PNM_GRAY_H

#include <stddef.h>
#include <stdint.h>

struct pnm_geometry {
  uint32_t width;
  uint32_t height;
  uint32_t channels;    /* 1 (P5) or 3 (P6) */
  size_t header_length; /* bytes before the first pixel */
};

/*
 * Reads the header of the len bytes at buf. Returns 0 and fills *g when buf
 * holds a whole P5 or P6 tile with maxval 255 and exactly the pixels its
 * header announces; returns -1 otherwise (a short read shows up here).
 */
int pnm_parse(const uint8_t *buf, size_t len, struct pnm_geometry *g);

/* Replaces every pixel of the tile with its luma; a gray tile is left as
 * it is. buf is the whole file, header included, as checked by pnm_parse. */
void pnm_gray(uint8_t *buf, const struct pnm_geometry *g);

#endif /* BENCH_PNM_GRAY_H */
