/*
 * Hostile plugin: tries to read files of the machine it runs on. If
 * /etc/passwd or /etc/hostname opens, its bytes are copied over the tile
 * (the rest zeroed) and the call returns EDGECAM_OK: the sandbox has
 * failed, and a test that compares the output with the input catches it.
 * When both are refused (the host gives WASI no directories), it returns
 * EDGECAM_ERR_DENIED.
 * Build: algos/build.
 */
#include <stdio.h>
#include <string.h>

#include "edgecam_plugin.h"

static const char *const targets[] = {"/etc/passwd", "/etc/hostname"};

int edgecam_process(uint8_t *buf, uint32_t len, const edgecam_params *params) {
  size_t i;

  (void)params;
  for (i = 0; i < sizeof targets / sizeof targets[0]; i++) {
    FILE *file = fopen(targets[i], "rb");

    if (file != 0) {
      /* Cleared first, so even an empty file leaves a visible mark. */
      memset(buf, 0, len);
      fread(buf, 1, len, file);
      fclose(file);
      return EDGECAM_OK;
    }
  }
  return EDGECAM_ERR_DENIED;
}
