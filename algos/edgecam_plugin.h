/*
 * The EdgeCam plugin ABI: what a plugin exports and what the host passes it.
 * A plugin is one C file compiled to wasm32-wasi (see algos/build) that
 * includes this header and defines edgecam_process(). See docs/plugins.md.
 */
#ifndef EDGECAM_PLUGIN_H
#define EDGECAM_PLUGIN_H

#include <stdint.h>

#define EDGECAM_ABI_VERSION 1
#define EDGECAM_MAX_ARGS 8

/*
 * Geometry of one tile and the plugin's own numeric arguments.
 * The host writes this struct into linear memory before each call; the
 * layout is fixed (96 bytes, little endian) and checked at compile time.
 */
typedef struct edgecam_params {
  uint32_t width;    /* pixels per row */
  uint32_t height;   /* rows */
  uint32_t channels; /* 1 (gray, PGM) or 3 (RGB, PPM) */
  uint32_t stride;   /* bytes from one row to the next */
  uint32_t tile_x;   /* position of the tile's left edge in its image */
  uint32_t tile_y;   /* position of the tile's top edge in its image */
  uint32_t argc;     /* how many of argv are set */
  uint32_t abi_version;
  double argv[EDGECAM_MAX_ARGS]; /* the arguments given to `load` */
} edgecam_params;

_Static_assert(sizeof(edgecam_params) == 96, "edgecam_params is 96 bytes");

/* Return codes of process(). Anything else is the plugin's own error. */
#define EDGECAM_OK 0
#define EDGECAM_ERR_PARAMS 1 /* geometry or arguments the plugin refuses */
#define EDGECAM_ERR_NOMEM 2  /* an allocation was refused */
#define EDGECAM_ERR_DENIED 3 /* a resource (file, clock...) was refused */

#define EDGECAM_EXPORT(name) __attribute__((export_name(name)))

/*
 * Each plugin defines this: transform the tile in buf (len bytes, rows of
 * params->stride bytes) in place and return EDGECAM_OK or an error code.
 * It is called once per tile, never concurrently.
 */
int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params);

#ifndef EDGECAM_NO_ENTRY_POINTS
#include <stdlib.h>

/* The host calls this once per instance for the buffer it copies tiles
 * into (size bytes, params first, then the tile). */
EDGECAM_EXPORT("edgecam_alloc") void *edgecam_alloc(uint32_t size) {
  return malloc(size);
}

EDGECAM_EXPORT("edgecam_abi_version") uint32_t edgecam_abi_version(void) {
  return EDGECAM_ABI_VERSION;
}

EDGECAM_EXPORT("process")
int process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  return edgecam_process(buf, len, params);
}
#endif

#endif /* EDGECAM_PLUGIN_H */
