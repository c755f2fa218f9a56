/*
 * Errors of the host: recording them, and printing one as a JSON line for
 * the daemon (or a person) to read.
 */
#include "host-error.h"

#include <stdarg.h>
#include <string.h>

static void copy_hint(host_error *err, const char *hint) {
  snprintf(err->hint, sizeof err->hint, "%s", hint ? hint : "");
}

void host_error_set(host_error *err, const char *code, const char *hint,
                    const char *format, ...) {
  va_list args;

  err->code = code;
  copy_hint(err, hint);
  va_start(args, format);
  vsnprintf(err->message, sizeof err->message, format, args);
  va_end(args);
}

void host_error_take_wasmtime(host_error *err, const char *code,
                              const char *hint, const char *what,
                              wasmtime_error_t *error) {
  wasm_name_t text;

  wasmtime_error_message(error, &text);
  host_error_set(err, code, hint, "%s: %.*s", what, (int)text.size, text.data);
  wasm_byte_vec_delete(&text);
  wasmtime_error_delete(error);
}

void host_error_take_trap(host_error *err, const char *code, const char *hint,
                          const char *what, wasm_trap_t *trap) {
  wasm_message_t text;

  wasm_trap_message(trap, &text);
  /* A trap message is NUL-terminated and its size counts the NUL. */
  host_error_set(err, code, hint, "%s: %.*s", what,
                 (int)(text.size > 0 ? text.size - 1 : 0), text.data);
  wasm_byte_vec_delete(&text);
  wasm_trap_delete(trap);
}

/* Writes `text` as a JSON string body: quotes, backslashes and control
 * characters escaped, so a Wasmtime message with newlines stays one line. */
static void print_json_string(const char *text, FILE *out) {
  const unsigned char *c;

  fputc('"', out);
  for (c = (const unsigned char *)text; *c != '\0'; c++) {
    if (*c == '"' || *c == '\\')
      fprintf(out, "\\%c", *c);
    else if (*c == '\n')
      fputs("\\n", out);
    else if (*c < 0x20)
      fprintf(out, "\\u%04x", *c);
    else
      fputc(*c, out);
  }
  fputc('"', out);
}

void host_error_print_json(const host_error *err, const char *host_id,
                           FILE *out) {
  fputs("{\"code\":", out);
  print_json_string(err->code ? err->code : "UNKNOWN", out);
  fputs(",\"message\":", out);
  print_json_string(err->message, out);
  fputs(",\"hint\":", out);
  print_json_string(err->hint, out);
  if (host_id != NULL) {
    fputs(",\"host\":", out);
    print_json_string(host_id, out);
  }
  fputs("}\n", out);
  fflush(out);
}
