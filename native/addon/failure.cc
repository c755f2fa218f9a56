/*
 * Failures: errno to stable codes and messages that say what to do next.
 * Every -errno the ring or a system call returns is converted here, once.
 */
#include "failure.h"

#include <cerrno>
#include <cstring>

Failure TileFailure(const char *code, std::string message) {
  Failure failure;

  failure.code = code;
  failure.message = std::move(message);
  return failure;
}

Failure ReadFailure(const char *call, const std::string &path, int errnum) {
  Failure failure;

  failure.code = ErrnoName(errnum);
  failure.errnum = errnum;
  failure.message = std::string(call) + " " + path + ": " + ErrnoText(errnum);
  return failure;
}

/* What an operator can do when the output folder refuses a tile. */
static const char *WriteHint(int errnum) {
  switch (errnum) {
  case ENOSPC:
  case EDQUOT:
    return "free space or point --out elsewhere";
  case ENOENT:
  case ENOTDIR:
    return "create the output folder or point --out elsewhere";
  case EACCES:
  case EPERM:
  case EROFS:
    return "make the output folder writable or point --out elsewhere";
  default:
    return "check the output folder or point --out elsewhere";
  }
}

Failure WriteFailure(const char *call, const std::string &path, int errnum) {
  Failure failure;

  failure.code = ErrnoName(errnum);
  failure.errnum = errnum;
  failure.message = std::string(call) + " " + path + ": " + ErrnoText(errnum) +
                    "; " + WriteHint(errnum);
  return failure;
}

Failure SystemFailure(const char *call, int errnum, const std::string &next) {
  Failure failure;

  failure.code = ErrnoName(errnum);
  failure.errnum = errnum;
  failure.message = std::string(call) + ": " + ErrnoText(errnum);
  if (!next.empty())
    failure.message += "; " + next;
  return failure;
}

std::string ErrnoName(int errnum) {
  const char *name = strerrorname_np(errnum);

  if (name == nullptr)
    return "E" + std::to_string(errnum);
  return name;
}

std::string ErrnoText(int errnum) {
  const char *text = strerrordesc_np(errnum);

  if (text == nullptr)
    return "error " + std::to_string(errnum);
  return text;
}
