/*
 * The io_uring probe behind `edgecam doctor`.
 */
#include "ring-probe.h"

#include <cerrno>
#include <cstring>
#include <liburing.h>
#include <sys/utsname.h>

#include "failure.h"
#include "ring-setup.h"

namespace {

struct NeededOp {
  int op;
  const char *name;
};

/* Every opcode the ring engine submits. */
const NeededOp kNeededOps[] = {
    {IORING_OP_OPENAT, "OPENAT"},
    {IORING_OP_READ, "READ"},
    {IORING_OP_READ_FIXED, "READ_FIXED"},
    {IORING_OP_WRITE, "WRITE"},
    {IORING_OP_WRITE_FIXED, "WRITE_FIXED"},
    {IORING_OP_CLOSE, "CLOSE"},
    {IORING_OP_RENAMEAT, "RENAMEAT"},
    {IORING_OP_UNLINKAT, "UNLINKAT"},
    {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
};

std::string KernelRelease() {
  struct utsname name;

  if (uname(&name) < 0)
    return "unknown";
  return name.release;
}

RingProbe Refuse(const Failure &failure) {
  RingProbe probe;

  probe.errnum = failure.errnum;
  probe.message = failure.message;
  return probe;
}

} // namespace

RingProbe ProbeRing() {
  struct io_uring ring;
  struct io_uring_params params;
  std::string flags = "SINGLE_ISSUER and DEFER_TASKRUN accepted";
  std::string missing;
  int ret;

  /* The ring itself, with the flags the engine prefers. */
  memset(&params, 0, sizeof params);
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  ret = io_uring_queue_init_params(4, &ring, &params);
  if (ret == -EINVAL) {
    flags = "SINGLE_ISSUER or DEFER_TASKRUN refused, plain ring used";
    ret = io_uring_queue_init(4, &ring, 0);
  }
  if (ret < 0)
    return Refuse(DescribeRingFailure(-ret));

  /* The operations, as the kernel reports them. */
  struct io_uring_probe *ops = io_uring_get_probe_ring(&ring);
  for (const NeededOp &needed : kNeededOps)
    if (ops == nullptr || !io_uring_opcode_supported(ops, needed.op))
      missing += (missing.empty() ? "" : ", ") + std::string(needed.name);
  if (ops != nullptr)
    io_uring_free_probe(ops);

  /* Direct descriptors: the sparse table each engine registers. */
  if (missing.empty() && io_uring_register_files_sparse(&ring, 4) < 0)
    missing = "sparse file tables (IORING_RSRC_REGISTER_SPARSE)";
  io_uring_queue_exit(&ring);

  if (!missing.empty()) {
    RingProbe probe;
    probe.errnum = ENOSYS;
    probe.message = "io_uring on kernel " + KernelRelease() + " lacks " +
                    missing + "; run Linux 6.1 or newer, or use --io sync";
    return probe;
  }

  RingProbe probe;
  probe.ok = true;
  probe.message = "io_uring works on kernel " + KernelRelease() + " (" + flags +
                  "; every operation the engine uses is supported)";
  return probe;
}
