/*
 * The io_uring engine. One I/O thread owns the ring. Each round it takes
 * every queued batch (reads and writes together), preps the next step of
 * every tile that has one, submits them all and waits for their completions
 * in a single io_uring_enter, then runs each tile's small state machine on
 * what came back. Tiles open into direct descriptors (file index = slot),
 * read and write their slot through fixed buffers, and writes land under a
 * temporary name that is renamed into place.
 */
#ifndef EDGECAM_RING_ENGINE_H
#define EDGECAM_RING_ENGINE_H

#include <cstdint>
#include <deque>
#include <list>
#include <liburing.h>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io-engine.h"
#include "ring-setup.h"
#include "tile-read.h"

class RingEngine : public IoEngine {
public:
  RingEngine(SlotPool &pool, EngineStats &stats, const RingOptions &options);
  ~RingEngine() override;

private:
  struct ActiveBatch;
  struct Completion {
    uint64_t data;
    int res;
  };

  /* What a tile's SQEs do; the low 4 bits of their user_data. */
  enum class Op : uint64_t {
    kWake = 1,     /* read of the wake-up eventfd */
    kOpen,         /* open into the slot's direct descriptor */
    kRead,         /* read into the slot */
    kProbe,        /* 1-byte read past a full slot */
    kWrite,        /* write from the slot into the temp file */
    kClose,        /* close of a write tile's descriptor */
    kRename,       /* temp file to its final name */
    kUnlink,       /* removal of the temp file after a failure */
    kCleanupClose, /* close of a finished read tile's descriptor */
    kCancel,       /* cancel-all at shutdown */
  };

  /* The step a tile has in flight (or is about to prep). */
  enum class Step {
    kOpenRead,    /* open -> read, linked */
    kRead,        /* a further read after a short one */
    kProbe,       /* did the file end with a full slot? */
    kOpenWrite,   /* open temp -> write, linked */
    kWrite,       /* a further write after a short one */
    kCloseRename, /* close -> rename, linked */
    kCleanup,     /* close (if open) and unlink the temp file */
  };

  /* One tile in flight. 16-aligned: its address tags SQEs with an Op. */
  struct alignas(16) Tile {
    ActiveBatch *owner = nullptr;
    size_t index = 0;
    const TileRequest *request = nullptr;
    Step step = Step::kOpenRead;
    bool started = false;
    int pending = 0;     /* CQEs still due for this step */
    bool waited = false; /* this step's CQEs count in waited_ */
    uint64_t epoch = 0;  /* epoch_ when this step was submitted */
    bool fdOpen = false; /* the direct descriptor holds a file */
    bool failed = false;
    Failure failure;
    std::optional<TileReader> reader; /* reads */
    TileReader::Next next = TileReader::Next::kRead;
    size_t written = 0; /* writes */
    std::string temp;
    uint8_t probe = 0;
  };

  struct ActiveBatch {
    std::unique_ptr<Batch> batch;
    std::vector<Tile> tiles;
    std::list<ActiveBatch>::iterator self;
  };

  Failure Setup() override;
  void Run() override;
  void Teardown() override;

  /* One round, in order. */
  void Admit();
  void ArmWake();
  void PrepCloses();
  void PrepReady();
  void StartTiles();
  void Wait();
  void Reap();

  /* Tiles. */
  void PrepStep(Tile *tile);
  void OnTileCompletion(Tile *tile, Op op, int res);
  void Advance(Tile *tile);
  void Fail(Tile *tile, Failure failure, bool override);
  void Finish(Tile *tile);
  struct io_uring_sqe *Sqe(const void *owner, Op op);
  void CountStep(Tile *tile, bool waited);
  bool IsRead(const Tile *tile) const;

  /* Shutdown. */
  void Drain();

  RingOptions options_;
  struct io_uring ring_;
  bool ringReady_ = false;
  bool wakeArmed_ = false;
  uint64_t wakeValue_ = 0;

  std::list<ActiveBatch> active_;
  std::deque<Tile *> waiting_;  /* not started: slot busy or ring full */
  std::deque<Tile *> ready_;    /* started, next step not yet prepped */
  std::deque<uint32_t> closes_; /* slots whose descriptor awaits a close */
  std::vector<uint8_t> slotBusy_;
  std::vector<Completion> completions_;
  unsigned tilesInFlight_ = 0;
  unsigned maxTilesInFlight_ = 0;
  bool sqFull_ = false; /* tiles could start but the SQ had no room */

  /*
   * How long to wait. waited_ counts the CQEs due from steps that finish on
   * their own (file opens, reads, writes); cleanup_ those of closes. Steps
   * that may wait on another process (reads after a short read, i.e. FIFOs)
   * are not counted. A round that times out without any completion turns
   * the steps still due into uncounted ones (epoch_ moves on), so a stuck
   * FIFO delays other tiles by one timeout, once.
   */
  unsigned opsInFlight_ = 0;
  unsigned waited_ = 0;
  unsigned cleanup_ = 0;
  uint64_t epoch_ = 0;
  unsigned want_ = 0;  /* CQEs the last wait asked for */
  bool timed_ = false; /* the last wait had a timeout */
  bool draining_ = false;
};

#endif /* EDGECAM_RING_ENGINE_H */
