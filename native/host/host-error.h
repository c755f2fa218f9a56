/*
 * Errors of the host: a stable code, a message saying what went wrong, and
 * a hint saying what to do next. Every step that can fail fills one in; the
 * mode that ran the step decides where it goes (stderr or fd 3).
 */
#ifndef EDGECAM_HOST_ERROR_H
#define EDGECAM_HOST_ERROR_H

#include <stdio.h>

#include <wasmtime.h>

typedef struct host_error {
  const char *code; /* stable, e.g. "COMPILE"; NULL while no error */
  char message[768];
  char hint[256];
} host_error;

/*
 * Records an error with a printf-style message. Later calls overwrite
 * earlier ones. The hint is copied; it may be NULL (no hint).
 */
void host_error_set(host_error *err, const char *code, const char *hint,
                    const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Records a Wasmtime error as "WHAT: <Wasmtime's message>" and deletes it:
 * the caller hands over ownership of `error`.
 */
void host_error_take_wasmtime(host_error *err, const char *code,
                              const char *hint, const char *what,
                              wasmtime_error_t *error);

/*
 * Records a trap as "WHAT: <trap message>" and deletes it: the caller
 * hands over ownership of `trap`.
 */
void host_error_take_trap(host_error *err, const char *code, const char *hint,
                          const char *what, wasm_trap_t *trap);

/*
 * Writes the error as one JSON line, {"code","message","hint"} plus "host"
 * when host_id is not NULL, to `out`. Never fails visibly: stderr is the
 * last resort.
 */
void host_error_print_json(const host_error *err, const char *host_id,
                           FILE *out);

#endif /* EDGECAM_HOST_ERROR_H */
