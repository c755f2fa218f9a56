/*
 * The one Wasmtime version the host is written for, checked twice: against
 * the headers when the host compiles, and against the library when it
 * loads.
 */
#ifndef EDGECAM_WASMTIME_VERSION_H
#define EDGECAM_WASMTIME_VERSION_H

#include "host-error.h"

#define EDGECAM_WASMTIME_VERSION "49.0.0"

/*
 * Checks that the libwasmtime.so the loader picked is 49.0.0. Returns 0, or
 * -1 with `err` set (code "WASMTIME_VERSION") naming the file it loaded.
 * Call it first in main(), before any other Wasmtime function.
 */
int wasmtime_version_check_library(host_error *err);

#endif /* EDGECAM_WASMTIME_VERSION_H */
