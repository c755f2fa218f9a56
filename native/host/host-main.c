/*
 * edgecam-host: the algorithm host. Runs untrusted WebAssembly plugins on
 * image tiles in shared memory, each call bounded in time and memory.
 * Build: bash native/host/build.sh. Modes and messages: docs/host.md.
 *
 * stdout belongs to the plugin (the daemon logs it as the plugin's);
 * the host itself writes only the --version and --engine-key answers
 * there, and its errors go to stderr as one JSON line.
 */
#include <stdio.h>
#include <string.h>

#include "compile.h"
#include "engine.h"
#include "host-error.h"
#include "host-options.h"
#include "serve.h"
#include "wasmtime-version.h"

static int print_engine_key(void) {
  char key[128];

  if (engine_key(key, sizeof key) < 0)
    return 2;
  printf("%s\n", key);
  return 0;
}

int main(int argc, char **argv) {
  host_options options;
  host_error err = {0};

  if (host_options_parse(argc, argv, &options, &err) != 0) {
    if (err.code != NULL && strcmp(err.code, "HELP") == 0) {
      fputs(host_usage, stdout);
      return 0;
    }
    host_error_print_json(&err, NULL, stderr);
    return 2;
  }
  if (wasmtime_version_check_library(&err) != 0) {
    host_error_print_json(&err, options.host_id, stderr);
    return 2;
  }

  switch (options.mode) {
  case HOST_MODE_VERSION:
    printf("edgecam-host " EDGECAM_HOST_VERSION
           " wasmtime " EDGECAM_WASMTIME_VERSION "\n");
    return 0;
  case HOST_MODE_ENGINE_KEY:
    return print_engine_key();
  case HOST_MODE_COMPILE:
    return compile_main(&options);
  case HOST_MODE_SERVE:
    return serve_main(&options);
  }
  return 2;
}
