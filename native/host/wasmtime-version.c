/*
 * Checks that the Wasmtime headers and library are version 49.0.0.
 * Rule: headers and library must be the same version. Reason: the core
 * API kept its layout across near versions but the component-model
 * structs did not, so a mismatch corrupts memory instead of failing.
 */
#include "wasmtime-version.h"

#include <dlfcn.h>
#include <string.h>

#include <wasmtime.h>

#if WASMTIME_VERSION_MAJOR != 49 || WASMTIME_VERSION_MINOR != 0 ||             \
    WASMTIME_VERSION_PATCH != 0
#error "needs Wasmtime 49.0.0 headers: bash scripts/fetch-wasmtime.sh"
#endif

/*
 * The release library exports one marker symbol named for its version.
 * Rule: look it up by name at run time. Reason: the library has no SONAME
 * and no version function, so the loader would take any libwasmtime.so.
 */
#define VERSION_MARKER "set_vmctx_memory_49_0_0"

int wasmtime_version_check_library(host_error *err) {
  Dl_info where;
  const char *path = "libwasmtime.so";

  if (dlsym(RTLD_DEFAULT, VERSION_MARKER) != NULL)
    return 0;

  if (dladdr((void *)wasm_engine_new, &where) != 0 && where.dli_fname)
    path = where.dli_fname;
  host_error_set(err, "WASMTIME_VERSION",
                 "run: bash scripts/fetch-wasmtime.sh && "
                 "bash native/host/build.sh",
                 "%s is not Wasmtime " EDGECAM_WASMTIME_VERSION
                 " (it lacks the symbol " VERSION_MARKER ")",
                 path);
  return -1;
}
