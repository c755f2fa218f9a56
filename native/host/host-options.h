/*
 * The host's command line: which mode to run and its settings. See
 * docs/host.md for the modes.
 */
#ifndef EDGECAM_HOST_OPTIONS_H
#define EDGECAM_HOST_OPTIONS_H

#include <stdint.h>

#include "host-error.h"

typedef enum host_mode {
  HOST_MODE_VERSION,    /* --version */
  HOST_MODE_ENGINE_KEY, /* --engine-key */
  HOST_MODE_COMPILE,    /* --compile PLUGIN.wasm --out FILE.cwasm */
  HOST_MODE_SERVE,      /* --module FILE --slots N --slot-size S */
} host_mode;

typedef struct host_options {
  host_mode mode;
  const char *plugin_path; /* --compile */
  const char *out_path;    /* --out */
  const char *module_path; /* --module: .cwasm, or .wasm to compile */
  uint32_t slots;          /* --slots, serve mode */
  uint32_t slot_size;      /* --slot-size in bytes, serve mode */
  uint32_t deadline_ms;    /* --deadline-ms, default 200 */
  uint32_t memory_mb;      /* --memory-mb, default 64 */
  const char *host_id;     /* --host-id, NULL when not given */
} host_options;

/*
 * Parses argv into `options` (strings point into argv). Returns 0, or -1
 * with `err` set (code "USAGE") saying what was expected, for which
 * option, and what was received.
 */
int host_options_parse(int argc, char **argv, host_options *options,
                       host_error *err);

/* The usage text, for --help and for USAGE hints. */
extern const char host_usage[];

#endif /* EDGECAM_HOST_OPTIONS_H */
