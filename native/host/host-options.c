/*
 * Parsing the host's command line. Bad arguments get one message shape:
 * what was expected, for which option, and what was received.
 */
#include "host-options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

const char host_usage[] =
    "usage: edgecam-host --version\n"
    "       edgecam-host --engine-key\n"
    "       edgecam-host --compile PLUGIN.wasm --out FILE.cwasm "
    "[--memory-mb 64]\n"
    "       edgecam-host --module FILE.cwasm --slots N --slot-size BYTES\n"
    "                    [--deadline-ms 200] [--memory-mb 64] "
    "[--host-id ID]\n"
    "  serve mode talks on fd 3 and maps the slot pool from fd 4\n";

enum option_id {
  OPT_VERSION = 1000,
  OPT_ENGINE_KEY,
  OPT_COMPILE,
  OPT_OUT,
  OPT_MODULE,
  OPT_SLOTS,
  OPT_SLOT_SIZE,
  OPT_DEADLINE_MS,
  OPT_MEMORY_MB,
  OPT_HOST_ID,
  OPT_HELP,
};

static const struct option long_options[] = {
    {"version", no_argument, NULL, OPT_VERSION},
    {"engine-key", no_argument, NULL, OPT_ENGINE_KEY},
    {"compile", required_argument, NULL, OPT_COMPILE},
    {"out", required_argument, NULL, OPT_OUT},
    {"module", required_argument, NULL, OPT_MODULE},
    {"slots", required_argument, NULL, OPT_SLOTS},
    {"slot-size", required_argument, NULL, OPT_SLOT_SIZE},
    {"deadline-ms", required_argument, NULL, OPT_DEADLINE_MS},
    {"memory-mb", required_argument, NULL, OPT_MEMORY_MB},
    {"host-id", required_argument, NULL, OPT_HOST_ID},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

static const char usage_hint[] = "run edgecam-host --help for the usage";

/* Parses a decimal integer in [min, max] for option `name`. */
static int parse_u32(const char *name, const char *text, uint32_t min,
                     uint32_t max, uint32_t *out, host_error *err) {
  char *end = NULL;
  unsigned long long value;

  errno = 0;
  value = strtoull(text, &end, 10);
  if (text[0] == '\0' || text[0] == '-' || *end != '\0' || errno != 0 ||
      value < min || value > max) {
    host_error_set(err, "USAGE", usage_hint,
                   "expected an integer from %u to %u for --%s, "
                   "received '%s'",
                   min, max, name, text);
    return -1;
  }
  *out = (uint32_t)value;
  return 0;
}

/* Picks the mode from the options given; more than one mode is refused. */
static void set_mode(host_options *options, int *mode_count, host_mode mode) {
  options->mode = mode;
  (*mode_count)++;
}

/* Checks that the options the chosen mode needs were all given. */
static int check_required(const host_options *o, host_error *err) {
  if (o->mode == HOST_MODE_COMPILE && o->out_path == NULL) {
    host_error_set(err, "USAGE", usage_hint,
                   "expected --out FILE.cwasm with --compile, received "
                   "none");
    return -1;
  }
  if (o->mode == HOST_MODE_SERVE && (o->slots == 0 || o->slot_size == 0)) {
    host_error_set(err, "USAGE", usage_hint,
                   "expected --slots N and --slot-size BYTES with "
                   "--module, received %s",
                   o->slots == 0 ? "no --slots" : "no --slot-size");
    return -1;
  }
  return 0;
}

int host_options_parse(int argc, char **argv, host_options *options,
                       host_error *err) {
  int modes = 0;
  int id;

  memset(options, 0, sizeof *options);
  options->deadline_ms = 200;
  options->memory_mb = 64;
  opterr = 0;

  while ((id = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
    int rc = 0;

    switch (id) {
    case OPT_VERSION:
      set_mode(options, &modes, HOST_MODE_VERSION);
      break;
    case OPT_ENGINE_KEY:
      set_mode(options, &modes, HOST_MODE_ENGINE_KEY);
      break;
    case OPT_COMPILE:
      set_mode(options, &modes, HOST_MODE_COMPILE);
      options->plugin_path = optarg;
      break;
    case OPT_MODULE:
      set_mode(options, &modes, HOST_MODE_SERVE);
      options->module_path = optarg;
      break;
    case OPT_OUT:
      options->out_path = optarg;
      break;
    case OPT_SLOTS:
      rc = parse_u32("slots", optarg, 1, 65536, &options->slots, err);
      break;
    case OPT_SLOT_SIZE:
      rc =
          parse_u32("slot-size", optarg, 1, 1u << 30, &options->slot_size, err);
      break;
    case OPT_DEADLINE_MS:
      rc = parse_u32("deadline-ms", optarg, 1, 3600000, &options->deadline_ms,
                     err);
      break;
    case OPT_MEMORY_MB:
      /* wasm32 linear memory ends at 4 GiB. */
      rc = parse_u32("memory-mb", optarg, 1, 4095, &options->memory_mb, err);
      break;
    case OPT_HOST_ID:
      options->host_id = optarg;
      break;
    case OPT_HELP:
      host_error_set(err, "HELP", NULL, "%s", host_usage);
      return -1;
    default:
      host_error_set(err, "USAGE", usage_hint,
                     "expected a known option with its value, received "
                     "'%s'",
                     argv[optind - 1]);
      return -1;
    }
    if (rc != 0)
      return -1;
  }

  if (optind < argc) {
    host_error_set(err, "USAGE", usage_hint,
                   "expected only options, received '%s'", argv[optind]);
    return -1;
  }
  if (modes != 1) {
    host_error_set(err, "USAGE", usage_hint,
                   "expected exactly one of --version, --engine-key, "
                   "--compile or --module, received %d",
                   modes);
    return -1;
  }
  return check_required(options, err);
}
