/*
 * The C reference of the benchmark (not part of EdgeCam): reads every tile
 * of a folder with io_uring on two threads, turns it gray natively and
 * writes it atomically to another folder, then prints one JSON line of
 * figures. It is the practical limit of this machine for EdgeCam's job.
 * Build: bash bench/build.sh. Run:
 *   build/bench/c-reference --in DIR --out DIR [--threads 2] [--batch 32]
 *     [--slot-size BYTES] [--iowq-max N] [--plain-ring] [--wait]
 * With --wait it prints {"ready":...} and starts when a line arrives on
 * stdin, so a tracer can attach first.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ring-worker.h"

#define MAX_THREADS 16

struct options {
  const char *in_dir;
  const char *out_dir;
  unsigned threads;
  unsigned batch;
  size_t slot_size;
  unsigned iowq_max;
  int plain_ring;
  int wait;
};

static void usage_exit(const char *why) {
  fprintf(stderr,
          "c-reference: %s\n"
          "usage: c-reference --in DIR --out DIR [--threads 1..%d] "
          "[--batch 1..256] [--slot-size BYTES] [--iowq-max N] [--plain-ring] "
          "[--wait]\n",
          why, MAX_THREADS);
  exit(2);
}

static unsigned long number_arg(const char *name, const char *value,
                                unsigned long min, unsigned long max) {
  char *end;
  unsigned long n;

  if (!value)
    usage_exit(name);
  errno = 0;
  n = strtoul(value, &end, 10);
  if (errno || *end || n < min || n > max) {
    fprintf(stderr, "c-reference: %s expects %lu..%lu, got '%s'\n", name, min,
            max, value);
    exit(2);
  }
  return n;
}

static struct options parse_options(int argc, char **argv) {
  struct options o = {NULL, NULL, 2, 32, 262144, 0, 0, 0};
  int i;

  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

    if (!strcmp(a, "--in") && v)
      o.in_dir = argv[++i];
    else if (!strcmp(a, "--out") && v)
      o.out_dir = argv[++i];
    else if (!strcmp(a, "--threads"))
      o.threads = number_arg(a, argv[++i], 1, MAX_THREADS);
    else if (!strcmp(a, "--batch"))
      o.batch = number_arg(a, argv[++i], 1, 256);
    else if (!strcmp(a, "--slot-size"))
      o.slot_size = number_arg(a, argv[++i], 4096, 64ul << 20);
    else if (!strcmp(a, "--iowq-max"))
      o.iowq_max = number_arg(a, argv[++i], 0, 64);
    else if (!strcmp(a, "--plain-ring"))
      o.plain_ring = 1;
    else if (!strcmp(a, "--wait"))
      o.wait = 1;
    else
      usage_exit("unknown or incomplete option");
  }
  if (!o.in_dir || !o.out_dir)
    usage_exit("--in and --out are required");
  return o;
}

static int is_tile(const struct dirent *e) {
  size_t n = strlen(e->d_name);

  return e->d_name[0] != '.' && !(n > 5 && !strcmp(e->d_name + n - 5, ".json"));
}

/* Lists the tiles of dir, sorted, as full paths; exits on failure. */
static char **list_tiles(const char *dir, size_t *count) {
  struct dirent **entries;
  char **paths;
  int n, i;

  n = scandir(dir, &entries, is_tile, alphasort);
  if (n < 0) {
    fprintf(stderr, "c-reference: cannot list %s: %s\n", dir, strerror(errno));
    exit(1);
  }
  paths = calloc(n ? n : 1, sizeof(char *));
  for (i = 0; i < n; i++) {
    if (asprintf(&paths[i], "%s/%s", dir, entries[i]->d_name) < 0) {
      fprintf(stderr, "c-reference: out of memory\n");
      exit(1);
    }
    free(entries[i]);
  }
  free(entries);
  *count = n;
  return paths;
}

static double now_s(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(const struct timeval *tv) {
  return tv->tv_sec + tv->tv_usec / 1e6;
}

/*
 * Rule: peak memory is VmHWM of /proc/self/status, not ru_maxrss.
 * Reason: Linux carries ru_maxrss across execve, so a program started by a
 * big parent (node) reports the parent's size; VmHWM belongs to this image.
 * See getrusage(2), proc(5).
 */
static long peak_rss_kib(void) {
  char line[256];
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "r");

  if (!f)
    return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  fclose(f);
  return kib;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;

  return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted values. */
static double percentile(const double *sorted, size_t n, double q) {
  size_t rank;

  if (n == 0)
    return 0;
  rank = (size_t)(q * n + 0.999999);
  return sorted[(rank ? rank : 1) - 1];
}

static void wait_for_go(void) {
  char line[64];

  printf("{\"ready\":true,\"pid\":%d}\n", getpid());
  fflush(stdout);
  if (!fgets(line, sizeof line, stdin))
    exit(1);
}

int main(int argc, char **argv) {
  struct options o = parse_options(argc, argv);
  struct ring_worker workers[MAX_THREADS];
  pthread_t threads[MAX_THREADS];
  struct rusage before, after;
  double started, seconds, *latencies;
  uint64_t bytes = 0, enters = 0;
  size_t count, share, done = 0;
  char **paths;
  unsigned t;

  /* Listing the folder is part of the job, as it is for every method. */
  if (o.wait)
    wait_for_go();
  getrusage(RUSAGE_SELF, &before);
  started = now_s();
  paths = list_tiles(o.in_dir, &count);

  /* Contiguous shares: each thread reads its own run of files. */
  memset(workers, 0, sizeof workers);
  share = (count + o.threads - 1) / o.threads;
  for (t = 0; t < o.threads; t++) {
    size_t first = t * share < count ? t * share : count;

    workers[t].inputs = paths + first;
    workers[t].count = count - first < share ? count - first : share;
    workers[t].out_dir = o.out_dir;
    workers[t].batch = o.batch;
    workers[t].slot_size = o.slot_size;
    workers[t].iowq_max = o.iowq_max;
    workers[t].plain_ring = o.plain_ring;
  }
  for (t = 0; t < o.threads; t++)
    pthread_create(&threads[t], NULL, worker_run, &workers[t]);
  for (t = 0; t < o.threads; t++)
    pthread_join(threads[t], NULL);
  seconds = now_s() - started;
  getrusage(RUSAGE_SELF, &after);

  latencies = calloc(count ? count : 1, sizeof(double));
  for (t = 0; t < o.threads; t++) {
    if (workers[t].error) {
      fprintf(stderr, "c-reference: %s\n", workers[t].message);
      return 1;
    }
    memcpy(latencies + done, workers[t].latency_us,
           workers[t].count * sizeof(double));
    done += workers[t].count;
    bytes += workers[t].bytes;
    enters += workers[t].enters;
  }
  qsort(latencies, count, sizeof(double), compare_double);

  printf("{\"tiles\":%zu,\"bytes\":%llu,\"seconds\":%.6f,"
         "\"cpuUserS\":%.6f,\"cpuSystemS\":%.6f,\"maxRssKiB\":%ld,"
         "\"enters\":%llu,\"ringFlags\":%u,\"threads\":%u,\"batch\":%u,"
         "\"latencyMs\":{\"p50\":%.4f,\"p95\":%.4f}}\n",
         count, (unsigned long long)bytes, seconds,
         cpu_s(&after.ru_utime) - cpu_s(&before.ru_utime),
         cpu_s(&after.ru_stime) - cpu_s(&before.ru_stime), peak_rss_kib(),
         (unsigned long long)enters, workers[0].ring_flags, o.threads, o.batch,
         percentile(latencies, count, 0.5) / 1000,
         percentile(latencies, count, 0.95) / 1000);
  return 0;
}
