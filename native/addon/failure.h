/*
 * A failure as the addon reports it: a stable code, the errno behind it (0
 * when there is none) and a message that names the file and says what to do.
 * Built where the failure happens, on any thread; turned into a JS value once,
 * at the addon boundary (js-results.cc, js-errors.cc).
 */
#ifndef EDGECAM_FAILURE_H
#define EDGECAM_FAILURE_H

#include <string>

struct Failure {
  std::string code; /* empty: no failure */
  int errnum = 0;   /* positive errno, or 0 */
  std::string message;

  bool failed() const {
    return !code.empty();
  }
};

/* A failure without an errno, e.g. a malformed tile. */
Failure TileFailure(const char *code, std::string message);

/*
 * A system call on a tile being read failed with errno `errnum`; `call` is
 * the step that failed ("open", "read"). The message has the shape
 * "open tile.ppm: No such file or directory".
 */
Failure ReadFailure(const char *call, const std::string &path, int errnum);

/*
 * A step of writing `path` failed ("open", "write", "close", "rename").
 * The message adds what to do next, e.g.
 * "write out/x.ppm: No space left on device; free space or point --out
 * elsewhere".
 */
Failure WriteFailure(const char *call, const std::string &path, int errnum);

/* A failed call that is not about one tile, e.g. "memfd_create". */
Failure SystemFailure(const char *call, int errnum, const std::string &next);

/* "ENOENT" for ENOENT; "E123" for a number glibc has no name for. */
std::string ErrnoName(int errnum);

/* "No such file or directory", untranslated so tests can match it. */
std::string ErrnoText(int errnum);

#endif /* EDGECAM_FAILURE_H */
