/*
 * Compiling, loading, checking and saving a plugin's module.
 */
#include "plugin-module.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t wasm_magic[4] = {0x00, 'a', 's', 'm'};
/* Version 1 and layer 0: a core module. Components share the magic but
 * carry another version and layer. */
static const uint8_t core_version[4] = {0x01, 0x00, 0x00, 0x00};

/* Reads a whole file into a malloc'd buffer the caller frees. */
static int read_file(const char *path, uint8_t **data, size_t *size,
                     host_error *err) {
  static const char hint[] = "check the path and its permissions";
  FILE *file = fopen(path, "rb");
  long length;
  uint8_t *bytes;

  if (file == NULL) {
    host_error_set(err, "IO", hint, "cannot open %s: %s", path,
                   strerror(errno));
    return -1;
  }
  if (fseek(file, 0, SEEK_END) != 0 || (length = ftell(file)) < 0 ||
      fseek(file, 0, SEEK_SET) != 0) {
    host_error_set(err, "IO", hint, "cannot size %s: %s", path,
                   strerror(errno));
    fclose(file);
    return -1;
  }

  bytes = malloc(length > 0 ? (size_t)length : 1);
  if (bytes == NULL ||
      fread(bytes, 1, (size_t)length, file) != (size_t)length) {
    host_error_set(err, "IO", hint, "cannot read %s", path);
    free(bytes);
    fclose(file);
    return -1;
  }
  fclose(file);
  *data = bytes;
  *size = (size_t)length;
  return 0;
}

static int check_core_module(const char *path, const uint8_t *data, size_t size,
                             host_error *err) {
  static const char hint[] =
      "pass the .wasm that algos/build produces from a plugin's C file";

  if (size < 8 || memcmp(data, wasm_magic, 4) != 0) {
    host_error_set(err, "NOT_WASM", hint,
                   "%s is not WebAssembly (it does not start with the "
                   "bytes \\0asm)",
                   path);
    return -1;
  }
  if (memcmp(data + 4, core_version, 4) != 0) {
    host_error_set(err, "NOT_WASM", hint,
                   "%s is a WebAssembly component or an unknown version, "
                   "not a core module",
                   path);
    return -1;
  }
  return 0;
}

int plugin_module_compile(wasm_engine_t *engine, const char *path,
                          wasmtime_module_t **module, host_error *err) {
  uint8_t *data = NULL;
  size_t size = 0;
  wasmtime_error_t *error;

  if (read_file(path, &data, &size, err) != 0)
    return -1;
  if (check_core_module(path, data, size, err) != 0) {
    free(data);
    return -1;
  }

  error = wasmtime_module_new(engine, data, size, module);
  free(data);
  if (error != NULL) {
    host_error_take_wasmtime(err, "COMPILE",
                             "rebuild the plugin with algos/build; it must "
                             "be valid wasm32-wasi",
                             path, error);
    return -1;
  }
  return 0;
}

int plugin_module_deserialize(wasm_engine_t *engine, const char *path,
                              wasmtime_module_t **module, host_error *err) {
  wasmtime_error_t *error;

  if (access(path, R_OK) != 0) {
    host_error_set(err, "IO", "check the path and its permissions",
                   "cannot read %s: %s", path, strerror(errno));
    return -1;
  }
  error = wasmtime_module_deserialize_file(engine, path, module);
  if (error != NULL) {
    host_error_take_wasmtime(err, "DESERIALIZE",
                             "compile it again with edgecam-host --compile "
                             "(its engine key or Wasmtime version differs)",
                             path, error);
    return -1;
  }
  return 0;
}

bool plugin_module_is_wasm_file(const char *path) {
  uint8_t head[4];
  FILE *file = fopen(path, "rb");
  bool is_wasm;

  if (file == NULL)
    return false;
  is_wasm = fread(head, 1, 4, file) == 4 && memcmp(head, wasm_magic, 4) == 0;
  fclose(file);
  return is_wasm;
}

/* What the host expects of one export. */
typedef struct export_rule {
  const char *name;
  wasm_externkind_t kind;
  size_t params; /* all i32, for functions */
  size_t results;
  bool required;
} export_rule;

static const export_rule export_rules[] = {
    {"memory", WASM_EXTERN_MEMORY, 0, 0, true},
    {"process", WASM_EXTERN_FUNC, 3, 1, true},
    {"edgecam_alloc", WASM_EXTERN_FUNC, 1, 1, true},
    {"_initialize", WASM_EXTERN_FUNC, 0, 0, false},
    {"edgecam_abi_version", WASM_EXTERN_FUNC, 0, 1, false},
};

static bool all_i32(const wasm_valtype_vec_t *types) {
  size_t i;

  for (i = 0; i < types->size; i++)
    if (wasm_valtype_kind(types->data[i]) != WASM_I32)
      return false;
  return true;
}

static bool export_matches(const export_rule *rule,
                           const wasm_externtype_t *type) {
  if (wasm_externtype_kind(type) != rule->kind)
    return false;

  if (rule->kind == WASM_EXTERN_MEMORY) {
    const wasm_memorytype_t *memory = wasm_externtype_as_memorytype_const(type);

    return !wasmtime_memorytype_is64(memory) &&
           !wasmtime_memorytype_isshared(memory);
  }

  const wasm_functype_t *func = wasm_externtype_as_functype_const(type);
  const wasm_valtype_vec_t *params = wasm_functype_params(func);
  const wasm_valtype_vec_t *results = wasm_functype_results(func);

  return params->size == rule->params && results->size == rule->results &&
         all_i32(params) && all_i32(results);
}

/* Finds the export called `name`; NULL when the module lacks it. */
static const wasm_externtype_t *
find_export(const wasm_exporttype_vec_t *exports, const char *name) {
  size_t i;

  for (i = 0; i < exports->size; i++) {
    const wasm_name_t *export_name = wasm_exporttype_name(exports->data[i]);

    if (export_name->size == strlen(name) &&
        memcmp(export_name->data, name, export_name->size) == 0)
      return wasm_exporttype_type(exports->data[i]);
  }
  return NULL;
}

int plugin_module_check_exports(const wasmtime_module_t *module,
                                host_error *err) {
  static const char hint[] =
      "include algos/edgecam_plugin.h, define edgecam_process(), and build "
      "with algos/build";
  wasm_exporttype_vec_t exports;
  size_t i;
  int rc = 0;

  wasmtime_module_exports(module, &exports);
  for (i = 0; i < sizeof export_rules / sizeof export_rules[0]; i++) {
    const export_rule *rule = &export_rules[i];
    const wasm_externtype_t *type = find_export(&exports, rule->name);

    if (type == NULL && !rule->required)
      continue;
    if (type == NULL) {
      host_error_set(err, "MISSING_EXPORT", hint,
                     "the plugin does not export '%s'", rule->name);
      rc = -1;
      break;
    }
    if (!export_matches(rule, type)) {
      host_error_set(err, "MISSING_EXPORT", hint,
                     "the plugin exports '%s' with another type than the "
                     "ABI's",
                     rule->name);
      rc = -1;
      break;
    }
  }
  wasm_exporttype_vec_delete(&exports);
  return rc;
}

/* Writes all of `data` to `fd`, retrying short writes. */
static int write_all(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    data += n;
    size -= (size_t)n;
  }
  return 0;
}

int plugin_module_save(const wasmtime_module_t *module, const char *path,
                       host_error *err) {
  static const char hint[] = "check that the directory exists and is "
                             "writable, and that the disk has room";
  wasm_byte_vec_t bytes;
  wasmtime_error_t *error;
  char tmp[4096];
  int fd;

  error = wasmtime_module_serialize(module, &bytes);
  if (error != NULL) {
    host_error_take_wasmtime(err, "SERIALIZE", NULL, "serializing", error);
    return -1;
  }

  /* Step 1: a temporary name beside the target, so rename() is atomic. */
  if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >=
      sizeof tmp) {
    host_error_set(err, "IO", "use a shorter path", "path too long: %s", path);
    wasm_byte_vec_delete(&bytes);
    return -1;
  }
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    host_error_set(err, "IO", hint, "cannot create %s: %s", tmp,
                   strerror(errno));
    wasm_byte_vec_delete(&bytes);
    return -1;
  }

  /* Step 2: the whole file, synced, so a crash never leaves a short
   * .cwasm under the final name. */
  if (write_all(fd, (const uint8_t *)bytes.data, bytes.size) != 0 ||
      fsync(fd) != 0) {
    host_error_set(err, "IO", hint, "cannot write %s: %s", tmp,
                   strerror(errno));
    close(fd);
    unlink(tmp);
    wasm_byte_vec_delete(&bytes);
    return -1;
  }
  close(fd);
  wasm_byte_vec_delete(&bytes);

  /* Step 3: publish. */
  if (rename(tmp, path) != 0) {
    host_error_set(err, "IO", hint, "cannot rename %s to %s: %s", tmp, path,
                   strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}
