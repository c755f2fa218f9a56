/*
 * Ring creation. Flags are tried from the best this kernel may accept down
 * to none, so the engine runs on older kernels and info() says what it got.
 */
#include "ring-setup.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <sys/uio.h>
#include <vector>

namespace {

/* One setup attempt: the flags, and their names for info(). */
struct SetupTry {
  unsigned flags;
  const char *names[3];
};

/*
 * Rule: prefer SINGLE_ISSUER with DEFER_TASKRUN. Reason: completions are
 * then run only when this thread waits, in one go, instead of interrupting
 * it; measured about half again more tiles per thread (FIELD-NOTES).
 * SUBMIT_ALL keeps the kernel submitting a batch past one bad SQE.
 */
const SetupTry kTries[] = {
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
         IORING_SETUP_SUBMIT_ALL,
     {"SINGLE_ISSUER", "DEFER_TASKRUN", "SUBMIT_ALL"}},
    {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_SUBMIT_ALL,
     {"SINGLE_ISSUER", "SUBMIT_ALL", nullptr}},
    {IORING_SETUP_SUBMIT_ALL, {"SUBMIT_ALL", nullptr, nullptr}},
    {0, {nullptr, nullptr, nullptr}},
};

/* "now 2", read from the sysctl, or why it could not be read. */
std::string UringDisabledSysctl() {
  FILE *file = fopen("/proc/sys/kernel/io_uring_disabled", "r");
  int value = -1;

  if (file == nullptr)
    return "absent on this kernel";
  if (fscanf(file, "%d", &value) != 1)
    value = -1;
  fclose(file);
  return "now " + std::to_string(value);
}

std::string MemlockLimit() {
  struct rlimit limit;

  if (getrlimit(RLIMIT_MEMLOCK, &limit) < 0)
    return "unknown";
  if (limit.rlim_cur == RLIM_INFINITY)
    return "unlimited";
  return std::to_string(limit.rlim_cur / 1024) + " KiB";
}

} // namespace

Failure DescribeRingFailure(int errnum) {
  switch (errnum) {
  case ENOSYS:
    return SystemFailure("io_uring_setup", errnum,
                         "this kernel was built without io_uring; run Linux "
                         "6.1 or newer, or use --io sync");
  case EPERM:
    return SystemFailure(
        "io_uring_setup", errnum,
        "io_uring is blocked by the kernel.io_uring_disabled sysctl (" +
            UringDisabledSysctl() +
            ") or by a seccomp filter, as in many containers; set "
            "kernel.io_uring_disabled=0, allow io_uring_setup in the seccomp "
            "profile, or use --io sync");
  case ENOMEM:
    return SystemFailure("io_uring_setup", errnum,
                         "the ring's memory counts against RLIMIT_MEMLOCK "
                         "(ulimit -l, now " +
                             MemlockLimit() +
                             "); raise it (ulimit -l unlimited, or "
                             "LimitMEMLOCK=infinity in a systemd unit) or "
                             "use --io sync");
  default:
    return SystemFailure("io_uring_setup", errnum, "use --io sync");
  }
}

Failure SetupRing(struct io_uring *ring, const RingOptions &options,
                  const SlotPool &pool, EngineInfo *info) {
  struct io_uring_params params;
  const SetupTry *used = nullptr;
  int ret = -EINVAL;

  /* The ring: an older kernel refuses flags it does not know with EINVAL. */
  for (const SetupTry &attempt : kTries) {
    memset(&params, 0, sizeof params);
    params.flags = attempt.flags;
    ret = io_uring_queue_init_params(options.queueDepth, ring, &params);
    used = &attempt;
    if (ret != -EINVAL)
      break;
  }
  if (ret < 0)
    return DescribeRingFailure(-ret);
  for (const char *name : used->names)
    if (name != nullptr)
      info->flags.push_back(name);

  /* Direct descriptors: slot i opens its tile into file index i. */
  unsigned slots = static_cast<unsigned>(pool.Slots());
  ret = io_uring_register_files_sparse(ring, slots);
  if (ret < 0) {
    io_uring_queue_exit(ring);
    return SystemFailure(
        ("registering a table of " + std::to_string(slots) +
         " direct descriptors")
            .c_str(),
        -ret,
        "raise the open-file limit (ulimit -n) above --slots, run Linux "
        "5.19 or newer, or use --io sync");
  }
  info->flags.push_back("DIRECT_DESCRIPTORS");

  /* Fixed buffers: pinned once instead of mapped for every read. */
  if (options.registerBuffers) {
    std::vector<struct iovec> buffers(slots);
    for (unsigned i = 0; i < slots; i++) {
      buffers[i].iov_base = pool.Slot(i);
      buffers[i].iov_len = pool.SlotSize();
    }
    ret = io_uring_register_buffers(ring, buffers.data(), slots);
    if (ret == 0) {
      info->registeredBuffers = true;
      info->flags.push_back("FIXED_BUFFERS");
    } else {
      info->buffersRefused = "io_uring_register_buffers: " + ErrnoName(-ret) +
                             " (" + ErrnoText(-ret) + ")";
    }
  }

  /*
   * Rule: cap the bounded io-wq workers (default 1). Reason: buffered
   * writes, O_CREAT opens and tmpfs reads are handed to io-wq; a single
   * worker with DEFER_TASKRUN roughly halved their CPU cost (FIELD-NOTES).
   */
  if (options.iowqMaxWorkers > 0) {
    unsigned values[2] = {options.iowqMaxWorkers, 0};
    if (io_uring_register_iowq_max_workers(ring, values) == 0)
      info->flags.push_back("IOWQ_BOUNDED_WORKERS=" +
                            std::to_string(options.iowqMaxWorkers));
  }

  /* A registered ring fd spares the kernel an fd lookup per enter. */
  if (io_uring_register_ring_fd(ring) == 1)
    info->flags.push_back("REGISTERED_RING");
  return Failure();
}
