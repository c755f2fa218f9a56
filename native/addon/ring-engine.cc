/*
 * The io_uring engine's rounds and its tiles' state machines.
 *
 * A read tile:  open(direct, slot) -> read_fixed(slot, whole slot, offset -1)
 *               [-> read(rest) ...]   one more per short read (FIFOs)
 *               [-> read(1 byte)]     only if the tile filled the slot
 *               close(direct) goes out with the next round's submit.
 * A write tile: open(direct, temp, O_CREAT|O_TRUNC) -> write_fixed(slot)
 *               [-> write(rest) ...]  one more per short write
 *               close(direct) -> renameat(temp, final)
 *               on any failure: close (if open), unlinkat(temp).
 */
#include "ring-engine.h"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include "temp-path.h"

namespace {

/*
 * Rule: a round waits for its completions at most this long before looking
 * at what did arrive. Reason: a step may wait on another process (a FIFO
 * whose writer is slow); the rest of the round must not wait with it.
 */
constexpr long long kRoundTimeoutNs = 10 * 1000 * 1000;

/* How long shutdown waits for cancelled requests, in 100 ms waits. */
constexpr int kDrainWaits = 20;

constexpr uint64_t kOpMask = 15;

} // namespace

RingEngine::RingEngine(SlotPool &pool, EngineStats &stats,
                       const RingOptions &options)
    : IoEngine(pool, stats), options_(options) {
  info_.io = "uring";
}

RingEngine::~RingEngine() {
  Stop();
}

Failure RingEngine::Setup() {
  Failure failure = SetupRing(&ring_, options_, pool_, &info_);

  if (failure.failed())
    return failure;
  ringReady_ = true;
  slotBusy_.assign(pool_.Slots(), 0);

  /* Each tile has at most 2 SQEs per step: a round never overfills the SQ. */
  maxTilesInFlight_ = options_.queueDepth / 2 - 1;
  if (maxTilesInFlight_ < 1)
    maxTilesInFlight_ = 1;
  return failure;
}

void RingEngine::Teardown() {
  if (ringReady_)
    io_uring_queue_exit(&ring_);
  ringReady_ = false;
}

void RingEngine::Run() {
  for (;;) {
    Admit();
    if (StopRequested())
      break;
    ArmWake();
    PrepCloses();
    PrepReady();
    StartTiles();
    Wait();
    Reap();
  }
  Drain();
}

/* New batches: their tiles join the queue of tiles waiting for a slot. */
void RingEngine::Admit() {
  for (auto &batch : TakeQueued()) {
    stats_.batches.Add(1);
    active_.emplace_back();
    ActiveBatch &active = active_.back();
    active.self = std::prev(active_.end());
    active.batch = std::move(batch);
    active.tiles.resize(active.batch->tiles.size());
    for (size_t i = 0; i < active.tiles.size(); i++) {
      Tile &tile = active.tiles[i];
      tile.owner = &active;
      tile.index = i;
      tile.request = &active.batch->tiles[i];
      waiting_.push_back(&tile);
    }
  }
}

/*
 * Rule: a read of the eventfd is always in the ring. Reason: the thread
 * sleeps in io_uring_enter; the JS thread's write to the eventfd completes
 * that read, which is what wakes it for a new batch or for Stop().
 */
void RingEngine::ArmWake() {
  if (wakeArmed_ || io_uring_sq_space_left(&ring_) < 1)
    return;
  struct io_uring_sqe *sqe = Sqe(nullptr, Op::kWake);
  io_uring_prep_read(sqe, WakeFd(), &wakeValue_, sizeof wakeValue_, 0);
  wakeArmed_ = true;
}

/* Closes of finished reads go first, so a new open of the slot follows. */
void RingEngine::PrepCloses() {
  while (!closes_.empty() && io_uring_sq_space_left(&ring_) >= 1) {
    uint32_t slot = closes_.front();
    closes_.pop_front();
    io_uring_prep_close_direct(Sqe(nullptr, Op::kCleanupClose), slot);
    cleanup_++;
    slotBusy_[slot] = 0;
  }
}

void RingEngine::PrepReady() {
  while (!ready_.empty() && io_uring_sq_space_left(&ring_) >= 2) {
    Tile *tile = ready_.front();
    ready_.pop_front();
    PrepStep(tile);
  }
}

/* In arrival order; a tile whose slot is busy lets later tiles pass. */
void RingEngine::StartTiles() {
  sqFull_ = false;
  for (auto it = waiting_.begin(); it != waiting_.end();) {
    if (tilesInFlight_ >= maxTilesInFlight_)
      break;
    if (io_uring_sq_space_left(&ring_) < 2) {
      sqFull_ = true;
      break;
    }
    Tile *tile = *it;
    uint32_t slot = tile->request->slot;
    if (slotBusy_[slot]) {
      ++it;
      continue;
    }
    slotBusy_[slot] = 1;
    tilesInFlight_++;
    tile->started = true;
    if (IsRead(tile)) {
      tile->step = Step::kOpenRead;
      tile->reader.emplace(tile->request->format, tile->request->path,
                           pool_.Slot(slot), pool_.SlotSize());
    } else {
      tile->step = Step::kOpenWrite;
      tile->temp = TempPathFor(tile->request->path);
    }
    PrepStep(tile);
    it = waiting_.erase(it);
  }
}

/*
 * The round's one io_uring_enter: submit everything prepped, then wait for
 * the completions due. Counted per call: liburing 2.3 enters once per call
 * here; a timed wait that submitted and still returns -ETIME has entered a
 * second time to wait again, so it counts twice. (Checked with strace -c -f:
 * the counter equals the io_uring_enter calls.)
 */
void RingEngine::Wait() {
  struct io_uring_cqe *cqe = nullptr;
  unsigned before = io_uring_sq_ready(&ring_);
  bool leftovers = !ready_.empty() || !closes_.empty() || sqFull_;
  int ret;

  timed_ = false;
  if (leftovers) {
    /* The SQ filled up: submit, and prep the rest without sleeping. */
    want_ = 0;
    ret = io_uring_submit(&ring_);
  } else if (waited_ > 0) {
    struct __kernel_timespec timeout = {0, kRoundTimeoutNs};
    timed_ = true;
    want_ = waited_ + cleanup_;
    ret = io_uring_submit_and_wait_timeout(&ring_, &cqe, want_, &timeout,
                                           nullptr);
  } else {
    /* Nothing due on its own: sleep until anything completes. */
    want_ = cleanup_ + 1;
    ret = io_uring_submit_and_wait(&ring_, want_);
  }

  unsigned submitted = before - io_uring_sq_ready(&ring_);
  stats_.submissions.Add(submitted);
  stats_.enters.Add(timed_ && submitted > 0 && ret == -ETIME ? 2 : 1);
}

/* Copy the CQEs out first: handling them preps SQEs for the next round. */
void RingEngine::Reap() {
  struct io_uring_cqe *cqe;
  unsigned head;
  unsigned count = 0;
  bool progress = false;

  completions_.clear();
  io_uring_for_each_cqe(&ring_, head, cqe) {
    completions_.push_back({cqe->user_data, cqe->res});
    count++;
  }
  io_uring_cq_advance(&ring_, count);
  stats_.completions.Add(count);

  for (const Completion &completion : completions_) {
    Op op = static_cast<Op>(completion.data & kOpMask);
    opsInFlight_--;
    switch (op) {
    case Op::kWake:
      wakeArmed_ = false;
      break;
    case Op::kCleanupClose:
      /* A failed close of a file only read loses nothing. */
      cleanup_--;
      break;
    case Op::kCancel:
      break;
    default:
      OnTileCompletion(reinterpret_cast<Tile *>(completion.data & ~kOpMask), op,
                       completion.res);
      progress = true;
    }
  }

  /*
   * A timed round that ran out with no tile step moving: what is still due
   * waits on something outside (a FIFO's writer). Stop counting it.
   */
  if (timed_ && count < want_ && !progress) {
    epoch_++;
    waited_ = 0;
  }
}

struct io_uring_sqe *RingEngine::Sqe(const void *owner, Op op) {
  struct io_uring_sqe *sqe = io_uring_get_sqe(&ring_);

  /* Callers checked io_uring_sq_space_left; the SQ cannot be full here. */
  io_uring_sqe_set_data64(sqe, reinterpret_cast<uintptr_t>(owner) |
                                   static_cast<uint64_t>(op));
  opsInFlight_++;
  return sqe;
}

void RingEngine::CountStep(Tile *tile, bool waited) {
  tile->waited = waited;
  tile->epoch = epoch_;
  if (waited)
    waited_ += static_cast<unsigned>(tile->pending);
}

bool RingEngine::IsRead(const Tile *tile) const {
  return tile->owner->batch->kind == BatchKind::kRead;
}

void RingEngine::PrepStep(Tile *tile) {
  const TileRequest &request = *tile->request;
  unsigned slot = request.slot;
  uint8_t *buffer = pool_.Slot(slot);
  bool fixed = info_.registeredBuffers;
  struct io_uring_sqe *sqe;

  switch (tile->step) {
  case Step::kOpenRead:
    sqe = Sqe(tile, Op::kOpen);
    io_uring_prep_openat_direct(sqe, AT_FDCWD, request.path.c_str(), O_RDONLY,
                                0, slot);
    /* The first read is linked to the open: it runs once the file is. */
    sqe->flags |= IOSQE_IO_LINK;
    [[fallthrough]];
  case Step::kRead: {
    uint8_t *target = tile->reader->Target();
    unsigned room = static_cast<unsigned>(tile->reader->Room());
    sqe = Sqe(tile, Op::kRead);
    /* Offset -1: the file's own position, so FIFOs work like files. */
    if (fixed)
      io_uring_prep_read_fixed(sqe, slot, target, room, UINT64_MAX, slot);
    else
      io_uring_prep_read(sqe, slot, target, room, UINT64_MAX);
    sqe->flags |= IOSQE_FIXED_FILE;
    tile->pending = tile->step == Step::kOpenRead ? 2 : 1;
    /* A further read may wait on a FIFO's writer: not counted. */
    CountStep(tile, tile->step == Step::kOpenRead);
    break;
  }
  case Step::kProbe:
    sqe = Sqe(tile, Op::kProbe);
    io_uring_prep_read(sqe, slot, &tile->probe, 1, UINT64_MAX);
    sqe->flags |= IOSQE_FIXED_FILE;
    tile->pending = 1;
    CountStep(tile, false);
    break;
  case Step::kOpenWrite:
    sqe = Sqe(tile, Op::kOpen);
    io_uring_prep_openat_direct(sqe, AT_FDCWD, tile->temp.c_str(),
                                O_WRONLY | O_CREAT | O_TRUNC, 0644, slot);
    sqe->flags |= IOSQE_IO_LINK;
    [[fallthrough]];
  case Step::kWrite: {
    unsigned rest = static_cast<unsigned>(request.length - tile->written);
    sqe = Sqe(tile, Op::kWrite);
    if (fixed)
      io_uring_prep_write_fixed(sqe, slot, buffer + tile->written, rest,
                                tile->written, slot);
    else
      io_uring_prep_write(sqe, slot, buffer + tile->written, rest,
                          tile->written);
    sqe->flags |= IOSQE_FIXED_FILE;
    tile->pending = tile->step == Step::kOpenWrite ? 2 : 1;
    CountStep(tile, true);
    break;
  }
  case Step::kCloseRename:
    sqe = Sqe(tile, Op::kClose);
    io_uring_prep_close_direct(sqe, slot);
    sqe->flags |= IOSQE_IO_LINK;
    sqe = Sqe(tile, Op::kRename);
    io_uring_prep_renameat(sqe, AT_FDCWD, tile->temp.c_str(), AT_FDCWD,
                           request.path.c_str(), 0);
    tile->pending = 2;
    CountStep(tile, true);
    break;
  case Step::kCleanup:
    tile->pending = 1;
    if (tile->fdOpen) {
      io_uring_prep_close_direct(Sqe(tile, Op::kClose), slot);
      tile->pending = 2;
    }
    io_uring_prep_unlinkat(Sqe(tile, Op::kUnlink), AT_FDCWD, tile->temp.c_str(),
                           0);
    CountStep(tile, true);
    break;
  }
}

void RingEngine::Fail(Tile *tile, Failure failure, bool override) {
  if (tile->failed && !override)
    return;
  tile->failed = true;
  tile->failure = std::move(failure);
}

/*
 * One CQE of a tile. The head of a linked pair (open, close) overrides what
 * its cancelled partner reported, whichever CQE comes first.
 */
void RingEngine::OnTileCompletion(Tile *tile, Op op, int res) {
  const std::string &path = tile->request->path;
  bool read = IsRead(tile);

  tile->pending--;
  if (tile->waited && tile->epoch == epoch_)
    waited_--;
  if (draining_)
    return;

  if (tile->step == Step::kCleanup) {
    /* The failure is already recorded; the temp file may not exist. */
    if (op == Op::kClose)
      tile->fdOpen = false;
  } else {
    switch (op) {
    case Op::kOpen:
      if (res < 0)
        Fail(tile,
             read ? ReadFailure("open", path, -res)
                  : WriteFailure("open", path, -res),
             true);
      else
        tile->fdOpen = true;
      break;
    case Op::kRead:
    case Op::kProbe:
      if (res < 0) {
        Fail(tile, ReadFailure("read", path, -res), false);
      } else if (!tile->failed) {
        stats_.bytesRead.Add(static_cast<uint64_t>(res));
        size_t n = static_cast<size_t>(res);
        tile->next = op == Op::kRead ? tile->reader->OnRead(n)
                                     : tile->reader->OnEofProbe(n);
      }
      break;
    case Op::kWrite:
      if (res < 0) {
        Fail(tile, WriteFailure("write", path, -res), false);
      } else if (res == 0) {
        /* No progress and no errno: call it an I/O error, do not spin. */
        Fail(tile, WriteFailure("write", path, EIO), false);
      } else {
        stats_.bytesWritten.Add(static_cast<uint64_t>(res));
        tile->written += static_cast<size_t>(res);
      }
      break;
    case Op::kClose:
      tile->fdOpen = false;
      if (res < 0)
        Fail(tile, WriteFailure("close", path, -res), true);
      break;
    case Op::kRename:
      if (res < 0)
        Fail(tile, WriteFailure("rename", path, -res), false);
      break;
    default:
      break;
    }
  }

  if (tile->pending == 0)
    Advance(tile);
}

/* Every CQE of the step is in: choose the next step, or finish the tile. */
void RingEngine::Advance(Tile *tile) {
  switch (tile->step) {
  case Step::kOpenRead:
  case Step::kRead:
  case Step::kProbe:
    if (tile->failed || tile->next == TileReader::Next::kDone) {
      Finish(tile);
      return;
    }
    if (tile->next == TileReader::Next::kRead) {
      stats_.shortReads.Add(1);
      tile->step = Step::kRead;
    } else {
      tile->step = Step::kProbe;
    }
    break;
  case Step::kOpenWrite:
  case Step::kWrite:
    if (tile->failed) {
      tile->step = Step::kCleanup;
    } else if (tile->written < tile->request->length) {
      stats_.shortWrites.Add(1);
      tile->step = Step::kWrite;
    } else {
      tile->step = Step::kCloseRename;
    }
    break;
  case Step::kCloseRename:
    if (!tile->failed) {
      Finish(tile);
      return;
    }
    tile->step = Step::kCleanup;
    break;
  case Step::kCleanup:
    Finish(tile);
    return;
  }
  ready_.push_back(tile);
}

/* The tile's result goes into its batch; a whole batch goes back to JS. */
void RingEngine::Finish(Tile *tile) {
  ActiveBatch *owner = tile->owner;
  TileResult &result = owner->batch->results[tile->index];
  uint32_t slot = tile->request->slot;

  if (IsRead(tile)) {
    if (!tile->failed && tile->reader->Ok()) {
      result.ok = true;
      result.geometry = tile->reader->Geometry();
      stats_.tilesRead.Add(1);
    } else {
      result.failure = tile->failed ? tile->failure : tile->reader->Error();
    }
  } else if (!tile->failed) {
    result.ok = true;
    stats_.tilesWritten.Add(1);
  } else {
    result.failure = tile->failure;
  }
  if (!result.ok)
    stats_.errors.Add(1);

  /* The slot is free once its descriptor is closed, or its close queued. */
  if (tile->fdOpen)
    closes_.push_back(slot);
  else
    slotBusy_[slot] = 0;
  tilesInFlight_--;

  if (++owner->batch->done < owner->tiles.size())
    return;
  std::unique_ptr<Batch> batch = std::move(owner->batch);
  active_.erase(owner->self);
  Deliver(std::move(batch));
}

/*
 * Stop: cancel whatever is in flight (a FIFO read may never complete on its
 * own), wait for the cancellations, remove temp files of writes that did
 * not finish, and leave the unfinished batches for the JS thread to reject.
 */
void RingEngine::Drain() {
  draining_ = true;

  if (opsInFlight_ > 0 && io_uring_sq_space_left(&ring_) >= 1)
    io_uring_prep_cancel64(Sqe(nullptr, Op::kCancel), 0,
                           IORING_ASYNC_CANCEL_ANY);
  for (int i = 0; i < kDrainWaits && opsInFlight_ > 0; i++) {
    struct __kernel_timespec timeout = {0, 100 * 1000 * 1000};
    struct io_uring_cqe *cqe = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &timeout, nullptr);
    stats_.enters.Add(1);
    Reap();
  }

  for (ActiveBatch &active : active_) {
    for (Tile &tile : active.tiles)
      if (tile.started && !tile.temp.empty())
        unlink(tile.temp.c_str());
    unfinished_.push_back(std::move(active.batch));
  }
  active_.clear();
  waiting_.clear();
  ready_.clear();
}
