/*
 * Serve mode: the host's life as one of the daemon's algorithm hosts.
 */
#include "serve.h"

#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "engine.h"
#include "epoch-ticker.h"
#include "plugin-instance.h"
#include "plugin-module.h"
#include "sandbox.h"
#include "slot-pool.h"

/* Why a RUN was refused: the detail of a BAD_INPUT outcome. */
enum bad_input_reason {
  BAD_INPUT_TYPE = 1,     /* not a RUN message */
  BAD_INPUT_SLOT = 2,     /* slot >= --slots */
  BAD_INPUT_RANGE = 3,    /* offset + length > --slot-size */
  BAD_INPUT_GEOMETRY = 4, /* channels not 1 or 3, or rows beyond length */
  BAD_INPUT_ARGS = 5,     /* argc > EDGECAM_MAX_ARGS */
};

typedef struct serve_state {
  const host_options *options;
  wasm_engine_t *engine;
  epoch_ticker ticker;
  wasmtime_module_t *module;
  wasmtime_linker_t *linker;
  wasmtime_instance_pre_t *pre;
  plugin_limits limits;
  plugin_instance instance;
  slot_pool pool;
  channel ch;
  uint32_t renewals;
  host_error err;
} serve_state;

static uint64_t now_us(void) {
  struct timespec t;

  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* Loads the module: a .wasm is compiled here, anything else is taken as
 * a .cwasm the daemon's cache wrote with --compile. */
static int load_module(serve_state *s, uint32_t *from_cache) {
  const char *path = s->options->module_path;

  if (plugin_module_is_wasm_file(path)) {
    *from_cache = 0;
    if (plugin_module_compile(s->engine, path, &s->module, &s->err) != 0)
      return -1;
  } else {
    *from_cache = 1;
    if (plugin_module_deserialize(s->engine, path, &s->module, &s->err) != 0)
      return -1;
  }
  return plugin_module_check_exports(s->module, &s->err);
}

/* Everything up to the first warm instance; then READY. */
static int start(serve_state *s) {
  uint64_t started = now_us();
  edgecam_msg_ready ready;
  uint32_t from_cache = 0;
  int rc;

  s->engine = engine_new();
  if (s->engine == NULL) {
    host_error_set(&s->err, "ENGINE", "run: bash scripts/fetch-wasmtime.sh",
                   "Wasmtime refused the engine settings");
    return -1;
  }
  rc = epoch_ticker_start(&s->ticker, s->engine);
  if (rc != 0) {
    host_error_set(&s->err, "ENGINE", "check the process's thread limit",
                   "cannot start the epoch ticker thread: %s", strerror(-rc));
    return -1;
  }
  s->limits.memory_bytes = (uint64_t)s->options->memory_mb << 20;
  s->limits.deadline_ticks = s->options->deadline_ms;
  s->limits.ticker = &s->ticker;

  if (load_module(s, &from_cache) != 0)
    return -1;
  s->linker = sandbox_linker_new(s->engine, &s->err);
  if (s->linker == NULL ||
      sandbox_prepare(s->linker, s->module, &s->pre, &s->err) != 0)
    return -1;
  if (slot_pool_map(&s->pool, SLOT_POOL_FD, s->options->slots,
                    s->options->slot_size, &s->err) != 0)
    return -1;
  if (plugin_instance_new(&s->instance, s->engine, s->pre, &s->limits,
                          s->options->slot_size, &s->err) != 0)
    return -1;

  memset(&ready, 0, sizeof ready);
  ready.type = EDGECAM_MSG_READY;
  ready.pid = (uint32_t)getpid();
  ready.from_cache = from_cache;
  ready.load_us = (uint32_t)(now_us() - started);
  rc = channel_write(&s->ch, &ready);
  if (rc != 0) {
    host_error_set(&s->err, "CHANNEL", "the daemon closed fd 3",
                   "cannot send READY: %s", strerror(-rc));
    return -1;
  }
  return 0;
}

/* Checks a RUN against the pool and the ABI; 0 or a bad_input_reason. */
static int check_run(const serve_state *s, const edgecam_msg_run *run) {
  uint64_t row_bytes = (uint64_t)run->width * run->channels;

  if (run->type != EDGECAM_MSG_RUN)
    return BAD_INPUT_TYPE;
  if (run->slot >= s->pool.slots)
    return BAD_INPUT_SLOT;
  if ((uint64_t)run->offset + run->length > s->pool.slot_size)
    return BAD_INPUT_RANGE;
  if ((run->channels != 1 && run->channels != 3) || run->width == 0 ||
      run->height == 0 || run->stride < row_bytes ||
      (uint64_t)(run->height - 1) * run->stride + row_bytes > run->length)
    return BAD_INPUT_GEOMETRY;
  if (run->argc > EDGECAM_MAX_ARGS)
    return BAD_INPUT_ARGS;
  return 0;
}

static void params_from_run(const edgecam_msg_run *run, edgecam_params *p) {
  memset(p, 0, sizeof *p);
  p->width = run->width;
  p->height = run->height;
  p->channels = run->channels;
  p->stride = run->stride;
  p->tile_x = run->tile_x;
  p->tile_y = run->tile_y;
  p->argc = run->argc;
  p->abi_version = EDGECAM_ABI_VERSION;
  memcpy(p->argv, run->argv, sizeof p->argv);
}

/* Replaces an instance that may be broken with a fresh one. */
static int renew_instance(serve_state *s) {
  plugin_instance_delete(&s->instance);
  if (plugin_instance_new(&s->instance, s->engine, s->pre, &s->limits,
                          s->options->slot_size, &s->err) != 0)
    return -1;
  s->renewals++;
  return 0;
}

/* Runs one message and answers it with DONE. */
static int handle_message(serve_state *s, const uint8_t *bytes) {
  edgecam_msg_run run;
  edgecam_msg_done done;
  plugin_result result = {0};
  int bad;
  int rc;

  memcpy(&run, bytes, sizeof run);
  memset(&done, 0, sizeof done);
  done.type = EDGECAM_MSG_DONE;
  done.slot = run.slot;
  done.tile_id = run.tile_id;

  bad = check_run(s, &run);
  if (bad != 0) {
    done.outcome = EDGECAM_OUTCOME_BAD_INPUT;
    done.detail = bad;
  } else {
    edgecam_params params;

    params_from_run(&run, &params);
    plugin_instance_run(&s->instance, &s->limits, &params,
                        slot_pool_slot(&s->pool, run.slot) + run.offset,
                        run.length, &result);
    done.outcome = result.outcome;
    done.detail = result.detail;
    done.exec_us = result.exec_us;
    done.memory_bytes = result.memory_bytes > UINT32_MAX
                            ? UINT32_MAX
                            : (uint32_t)result.memory_bytes;
  }
  /* DONE carries the renewals made before this call; the daemon learns of
   * this call's renewal from the next DONE. */
  done.renewals = s->renewals;

  /*
   * Rule: answers wait only while another RUN is already buffered (the
   * host goes straight on to it), and a failure goes out at once.
   * Reason: one write for several answers saves a system call and a
   * wake-up of the daemon per tile, yet an answer is never held longer
   * than the next tile's call, which the deadline bounds below the
   * daemon's stall watchdog (deadline + 1 s).
   */
  rc = channel_queue(&s->ch, &done);
  if (rc == 0 &&
      (done.outcome != EDGECAM_OUTCOME_OK || !channel_has_message(&s->ch)))
    rc = channel_flush(&s->ch);
  if (rc != 0) {
    host_error_set(&s->err, "CHANNEL", "the daemon closed fd 3",
                   "cannot send DONE: %s", strerror(-rc));
    return -1;
  }

  /* After the answer, so the daemon is not kept waiting for it. */
  if (result.renew)
    return renew_instance(s);
  return 0;
}

static void stop(serve_state *s) {
  plugin_instance_delete(&s->instance);
  slot_pool_unmap(&s->pool);
  if (s->pre != NULL)
    wasmtime_instance_pre_delete(s->pre);
  if (s->linker != NULL)
    wasmtime_linker_delete(s->linker);
  if (s->module != NULL)
    wasmtime_module_delete(s->module);
  /* Rule: stop the ticker before the engine. Reason: it increments the
   * engine's epoch, which must not outlive it. */
  epoch_ticker_stop(&s->ticker);
  if (s->engine != NULL)
    wasm_engine_delete(s->engine);
}

/* Reports a fatal error on fd 3 (short text) and stderr (full JSON). */
static int fail(serve_state *s, int channel_open) {
  char text[sizeof(((edgecam_msg_fatal *)0)->text)];
  size_t used;

  if (channel_open) {
    /* "CODE: message", cut to fit the record. */
    snprintf(text, sizeof text, "%s: ", s->err.code);
    used = strlen(text);
    strncat(text, s->err.message, sizeof text - used - 1);
    channel_send_fatal(&s->ch, text);
  }
  host_error_print_json(&s->err, s->options->host_id, stderr);
  stop(s);
  return 2;
}

int serve_main(const host_options *options) {
  static serve_state s;
  uint8_t msg[EDGECAM_MSG_SIZE];
  int rc;

  s.options = options;

  /* Rule: die with the daemon. Reason: an orphaned host would keep a
   * slot pool mapped and a plugin running that nobody will ask for. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  /* A write to a closed fd 3 must return EPIPE, not kill the host. */
  signal(SIGPIPE, SIG_IGN);

  if (!channel_fd_is_open(CHANNEL_FD)) {
    host_error_set(&s.err, "CHANNEL",
                   "spawn the host with a socket on fd 3 and the pool on "
                   "fd 4 (see docs/host.md)",
                   "fd 3 is not open");
    return fail(&s, 0);
  }
  channel_init(&s.ch, CHANNEL_FD);
  if (start(&s) != 0)
    return fail(&s, 1);

  while ((rc = channel_read(&s.ch, msg)) == 1)
    if (handle_message(&s, msg) != 0)
      return fail(&s, 1);
  if (rc < 0) {
    host_error_set(&s.err, "CHANNEL", "the daemon's socket failed",
                   "cannot read fd 3: %s", strerror(-rc));
    return fail(&s, 1);
  }

  /* End of stream: the daemon is done with this host. */
  stop(&s);
  return 0;
}
