/*
 * Tiles through plain system calls. A read uses read(2), not pread(2), so a
 * FIFO works as it does on the ring (offset -1 there).
 */
#include "sync-engine.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "temp-path.h"
#include "tile-read.h"

SyncEngine::SyncEngine(SlotPool &pool, EngineStats &stats)
    : IoEngine(pool, stats) {
  info_.io = "sync";
}

SyncEngine::~SyncEngine() {
  Stop();
}

Failure SyncEngine::Setup() {
  return Failure();
}

void SyncEngine::Run() {
  for (;;) {
    std::vector<std::unique_ptr<Batch>> batches = TakeQueued();
    uint64_t wakeups;

    if (batches.empty()) {
      if (StopRequested())
        return;
      /* Sleep until Submit() or Stop() writes the eventfd. */
      (void)!read(WakeFd(), &wakeups, sizeof wakeups);
      continue;
    }

    for (auto &batch : batches) {
      if (!batch) /* handed back below when stopping */
        continue;
      stats_.batches.Add(1);
      for (size_t i = 0; i < batch->tiles.size(); i++) {
        const TileRequest &request = batch->tiles[i];
        TileResult &result = batch->results[i];
        if (batch->kind == BatchKind::kRead)
          ReadTile(request, &result);
        else
          WriteTile(request, &result);
        if (!result.ok)
          stats_.errors.Add(1);
      }
      Deliver(std::move(batch));

      /* Stop between batches: the rest go back to be rejected. */
      if (StopRequested()) {
        for (auto &rest : batches)
          if (rest)
            unfinished_.push_back(std::move(rest));
        return;
      }
    }
  }
}

void SyncEngine::ReadTile(const TileRequest &request, TileResult *result) {
  uint8_t *slot = pool_.Slot(request.slot);
  TileReader reader(request.format, request.path, slot, pool_.SlotSize());
  TileReader::Next next = TileReader::Next::kRead;
  int fd = open(request.path.c_str(), O_RDONLY | O_CLOEXEC);

  if (fd < 0) {
    result->failure = ReadFailure("open", request.path, errno);
    return;
  }

  while (next != TileReader::Next::kDone) {
    uint8_t probe;
    bool probing = next == TileReader::Next::kProbeEof;
    ssize_t n = probing ? read(fd, &probe, 1)
                        : read(fd, reader.Target(), reader.Room());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      result->failure = ReadFailure("read", request.path, errno);
      close(fd);
      return;
    }
    stats_.bytesRead.Add(static_cast<uint64_t>(n));
    next = probing ? reader.OnEofProbe(static_cast<size_t>(n))
                   : reader.OnRead(static_cast<size_t>(n));
    if (next == TileReader::Next::kRead)
      stats_.shortReads.Add(1);
  }
  close(fd);

  if (reader.Ok()) {
    result->ok = true;
    result->geometry = reader.Geometry();
    stats_.tilesRead.Add(1);
  } else {
    result->failure = reader.Error();
  }
}

void SyncEngine::WriteTile(const TileRequest &request, TileResult *result) {
  std::string temp = TempPathFor(request.path);
  Failure failure = WriteTemp(request, temp);

  if (!failure.failed() && rename(temp.c_str(), request.path.c_str()) < 0)
    failure = WriteFailure("rename", request.path, errno);
  if (failure.failed()) {
    unlink(temp.c_str());
    result->failure = failure;
    return;
  }
  result->ok = true;
  stats_.tilesWritten.Add(1);
}

/* The slot's first `length` bytes into `temp`, short writes continued. */
Failure SyncEngine::WriteTemp(const TileRequest &request,
                              const std::string &temp) {
  const uint8_t *slot = pool_.Slot(request.slot);
  size_t written = 0;
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  if (fd < 0)
    return WriteFailure("open", request.path, errno);

  while (written < request.length) {
    ssize_t n = pwrite(fd, slot + written, request.length - written,
                       static_cast<off_t>(written));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int errnum = n < 0 ? errno : EIO;
      close(fd);
      return WriteFailure("write", request.path, errnum);
    }
    written += static_cast<size_t>(n);
    stats_.bytesWritten.Add(static_cast<uint64_t>(n));
    if (written < request.length)
      stats_.shortWrites.Add(1);
  }

  if (close(fd) < 0)
    return WriteFailure("close", request.path, errno);
  return Failure();
}
