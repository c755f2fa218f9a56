/*
 * The C reference's io_uring pipeline, per thread. Two buffer sets take
 * turns: while batch k is being turned gray, nothing waits on the kernel;
 * then the writes of batch k and the reads of batch k + 1 go in one
 * io_uring_enter, and the writes finish (in io-wq) while batch k + 1 is
 * being turned gray.
 */
#define _GNU_SOURCE
#include "ring-worker.h"

#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pnm-gray.h"

#define OUT_PATH_MAX 512

enum op {
  OP_READ = 1,
  OP_WRITE = 2,
  OP_RENAME = 3,
  OP_OTHER = 4,
  OP_CLOSE = 5
};

struct tile_io {
  uint8_t *buf;
  int length; /* bytes read */
  struct pnm_geometry geometry;
  char tmp_path[OUT_PATH_MAX];
  char out_path[OUT_PATH_MAX];
};

struct buffer_set {
  struct tile_io *tiles;
  size_t first; /* index of the batch's first tile in the worker's list */
  unsigned count;
  double read_at_us;
};

struct worker_state {
  struct ring_worker *w;
  struct io_uring ring;
  struct buffer_set sets[2];
  uint8_t *memory;         /* the tile buffers of both sets */
  unsigned reads_pending;  /* CQEs still due for the read batch */
  unsigned writes_pending; /* CQEs still due for the write batch */
};

static double now_us(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int fail(struct ring_worker *w, int error, const char *what) {
  if (w->error == 0) {
    w->error = error;
    snprintf(w->message, sizeof w->message, "%s: %s", what, strerror(-error));
  }
  return error;
}

/* user_data: set (1 bit), op (3 bits), tile index within the batch. */
static uint64_t tag(unsigned set, enum op op, unsigned index) {
  return (uint64_t)set << 40 | (uint64_t)op << 32 | index;
}

static struct io_uring_sqe *next_sqe(struct worker_state *s) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

  /* The ring is sized for a read batch and a write batch at once, so
   * running out means a sizing bug, not load. */
  if (!sqe) {
    fprintf(stderr, "c-reference: submission queue full\n");
    abort();
  }
  return sqe;
}

/* Queues open + read + close for each tile of the next batch into set. */
static void queue_reads(struct worker_state *s, unsigned set, size_t first) {
  struct ring_worker *w = s->w;
  struct buffer_set *b = &s->sets[set];
  unsigned i;

  b->first = first;
  b->count = w->count - first < w->batch ? w->count - first : w->batch;
  b->read_at_us = now_us();
  for (i = 0; i < b->count; i++) {
    struct io_uring_sqe *sqe;
    unsigned file = i; /* reads use fixed files [0, batch) */

    sqe = next_sqe(s);
    io_uring_prep_openat_direct(sqe, AT_FDCWD, w->inputs[first + i], O_RDONLY,
                                0, file);
    sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = tag(set, OP_OTHER, i);

    sqe = next_sqe(s);
    io_uring_prep_read(sqe, file, b->tiles[i].buf, w->slot_size, 0);
    /* Hard link: the read is short on purpose (the buffer is bigger than
     * the file), and a short read would cancel a plain link's close. */
    sqe->flags |= IOSQE_IO_HARDLINK | IOSQE_FIXED_FILE;
    sqe->user_data = tag(set, OP_READ, i);

    /* The close reports too: the next batch opens into the same fixed
     * file, and a close still in flight (in io-wq, on tmpfs) would close
     * the new file instead. */
    sqe = next_sqe(s);
    io_uring_prep_close_direct(sqe, file);
    sqe->user_data = tag(set, OP_CLOSE, i);
  }
  s->reads_pending += 2 * b->count;
}

/* Queues open (temporary name) + write + close + rename for each tile. */
static int queue_writes(struct worker_state *s, unsigned set) {
  struct ring_worker *w = s->w;
  struct buffer_set *b = &s->sets[set];
  unsigned i;

  for (i = 0; i < b->count; i++) {
    struct tile_io *t = &b->tiles[i];
    const char *name = strrchr(w->inputs[b->first + i], '/');
    struct io_uring_sqe *sqe;
    unsigned file = w->batch + i; /* writes use [batch, 2 * batch) */

    name = name ? name + 1 : w->inputs[b->first + i];
    if (snprintf(t->out_path, OUT_PATH_MAX, "%s/%s", w->out_dir, name) >=
            OUT_PATH_MAX ||
        snprintf(t->tmp_path, OUT_PATH_MAX, "%s/.%s.tmp", w->out_dir, name) >=
            OUT_PATH_MAX)
      return fail(w, -ENAMETOOLONG, "output path");

    sqe = next_sqe(s);
    io_uring_prep_openat_direct(sqe, AT_FDCWD, t->tmp_path,
                                O_WRONLY | O_CREAT | O_TRUNC, 0644, file);
    sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = tag(set, OP_OTHER, i);

    sqe = next_sqe(s);
    io_uring_prep_write(sqe, file, t->buf, t->length, 0);
    sqe->flags |= IOSQE_IO_LINK | IOSQE_FIXED_FILE;
    sqe->user_data = tag(set, OP_WRITE, i);

    sqe = next_sqe(s);
    io_uring_prep_close_direct(sqe, file);
    sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    sqe->user_data = tag(set, OP_OTHER, i);

    sqe = next_sqe(s);
    io_uring_prep_rename(sqe, t->tmp_path, t->out_path);
    sqe->user_data = tag(set, OP_RENAME, i);
  }
  s->writes_pending += 2 * b->count;
  return 0;
}

/* Names the failed step in a message (one thread uses the buffer). */
static const char *op_name(enum op op, const char *input) {
  static __thread char text[640];
  static const char *const names[] = {"?",      "read",          "write",
                                      "rename", "open or close", "close"};

  snprintf(text, sizeof text, "%s of %s", names[op <= 5 ? op : 0], input);
  return text;
}

/* Takes one completion; any failure ends the run (a reference has no
 * retries: a failed tile means the set or the machine is wrong). */
static int complete(struct worker_state *s, const struct io_uring_cqe *cqe) {
  struct ring_worker *w = s->w;
  unsigned set = (cqe->user_data >> 40) & 1;
  enum op op = (cqe->user_data >> 32) & 7;
  unsigned i = cqe->user_data & 0xffffffffu;
  struct buffer_set *b = &s->sets[set];
  struct tile_io *t = &b->tiles[i];

  if (cqe->res < 0)
    return fail(w, cqe->res, op_name(op, w->inputs[b->first + i]));

  switch (op) {
  case OP_READ:
    s->reads_pending--;
    t->length = cqe->res;
    if ((size_t)cqe->res >= w->slot_size ||
        pnm_parse(t->buf, t->length, &t->geometry) != 0)
      return fail(w, -EINVAL, w->inputs[b->first + i]);
    w->bytes += cqe->res;
    break;
  case OP_WRITE:
    s->writes_pending--;
    if (cqe->res != t->length)
      return fail(w, -EIO, t->tmp_path);
    break;
  case OP_CLOSE:
    s->reads_pending--;
    break;
  case OP_RENAME:
    s->writes_pending--;
    w->latency_us[b->first + i] = now_us() - b->read_at_us;
    break;
  default:
    break;
  }
  return 0;
}

/* Submits what is queued and reaps until *pending reaches zero. */
static int submit_and_wait(struct worker_state *s, const unsigned *pending) {
  while (*pending > 0) {
    struct io_uring_cqe *cqe;
    unsigned head, seen = 0;
    int ret = io_uring_submit_and_wait(&s->ring, *pending);

    s->w->enters++;
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
      return fail(s->w, ret, "io_uring_submit_and_wait");
    io_uring_for_each_cqe(&s->ring, head, cqe) {
      seen++;
      if (complete(s, cqe) != 0)
        return s->w->error;
    }
    io_uring_cq_advance(&s->ring, seen);
  }
  return 0;
}

/*
 * Rule: one issuer with deferred task work, io-wq capped.
 * Reason: buffered writes and O_CREAT opens are handed to io-wq workers;
 * with DEFER_TASKRUN their completions run only when this thread waits,
 * and a small io-wq stops them fanning out over both cores.
 * See io_uring_setup(2), io_uring_register(2) IORING_REGISTER_IOWQ_MAX_WORKERS.
 */
static int ring_open(struct worker_state *s) {
  struct ring_worker *w = s->w;
  unsigned entries = 8 * w->batch;
  struct io_uring_params p;
  int ret;

  memset(&p, 0, sizeof p);
  if (!w->plain_ring)
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  ret = io_uring_queue_init_params(entries, &s->ring, &p);
  if (ret == -EINVAL) {
    memset(&p, 0, sizeof p);
    ret = io_uring_queue_init_params(entries, &s->ring, &p);
  }
  if (ret < 0)
    return fail(w, ret, "io_uring_queue_init_params");
  w->ring_flags = p.flags;

  ret = io_uring_register_files_sparse(&s->ring, 2 * w->batch);
  if (ret < 0)
    return fail(w, ret, "io_uring_register_files_sparse");
  if (w->iowq_max > 0) {
    unsigned counts[2] = {w->iowq_max, w->iowq_max};

    ret = io_uring_register_iowq_max_workers(&s->ring, counts);
    if (ret < 0)
      return fail(w, ret, "io_uring_register_iowq_max_workers");
  }
  return 0;
}

/* One allocation holds every tile buffer of both sets: one mmap, not one
 * per tile (glibc maps each large block separately). */
static int buffers_alloc(struct worker_state *s) {
  struct ring_worker *w = s->w;
  size_t slot = (w->slot_size + 4095) & ~(size_t)4095;
  unsigned set, i;

  w->latency_us = calloc(w->count ? w->count : 1, sizeof(double));
  if (!w->latency_us)
    return fail(w, -ENOMEM, "latency array");
  s->memory = aligned_alloc(4096, 2 * w->batch * slot);
  if (!s->memory)
    return fail(w, -ENOMEM, "tile buffers");
  for (set = 0; set < 2; set++) {
    s->sets[set].tiles = calloc(w->batch, sizeof(struct tile_io));
    if (!s->sets[set].tiles)
      return fail(w, -ENOMEM, "tile array");
    for (i = 0; i < w->batch; i++)
      s->sets[set].tiles[i].buf = s->memory + (set * w->batch + i) * slot;
  }
  return 0;
}

static void buffers_free(struct worker_state *s) {
  free(s->sets[0].tiles);
  free(s->sets[1].tiles);
  free(s->memory);
}

static int pipeline_run(struct worker_state *s) {
  struct ring_worker *w = s->w;
  size_t next = 0;
  unsigned set = 0, i;

  /* The first batch is read alone: there is nothing to write yet. */
  queue_reads(s, set, next);
  next += s->sets[set].count;
  if (submit_and_wait(s, &s->reads_pending) != 0)
    return w->error;

  while (s->sets[set].count > 0) {
    struct buffer_set *b = &s->sets[set];

    for (i = 0; i < b->count; i++)
      pnm_gray(b->tiles[i].buf, &b->tiles[i].geometry);

    /* The other set is free once its writes are done. */
    if (submit_and_wait(s, &s->writes_pending) != 0)
      return w->error;
    if (queue_writes(s, set) != 0)
      return w->error;
    set ^= 1;
    s->sets[set].count = 0;
    if (next < w->count) {
      queue_reads(s, set, next);
      next += s->sets[set].count;
    } else {
      io_uring_submit(&s->ring);
      w->enters++;
    }
    if (submit_and_wait(s, &s->reads_pending) != 0)
      return w->error;
  }
  return submit_and_wait(s, &s->writes_pending);
}

void *worker_run(void *arg) {
  struct worker_state s;

  memset(&s, 0, sizeof s);
  s.w = arg;
  if (s.w->count == 0)
    return NULL;
  if (ring_open(&s) == 0 && buffers_alloc(&s) == 0)
    pipeline_run(&s);
  buffers_free(&s);
  if (s.ring.ring_fd > 0)
    io_uring_queue_exit(&s.ring);
  return NULL;
}
