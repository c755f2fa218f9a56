/*
 * Counters of one engine. The I/O thread is the only writer; the JS thread
 * reads them at any time (relaxed atomics: each figure is exact, a snapshot
 * of all of them is not taken at one instant).
 */
#ifndef EDGECAM_ENGINE_STATS_H
#define EDGECAM_ENGINE_STATS_H

#include <atomic>
#include <cstdint>

class Counter {
public:
  void Add(uint64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n,
                 std::memory_order_relaxed);
  }
  uint64_t Get() const {
    return value_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<uint64_t> value_{0};
};

struct EngineStats {
  Counter batches;      /* batches taken by the I/O thread */
  Counter submissions;  /* SQEs handed to the kernel */
  Counter enters;       /* calls that entered io_uring_enter(2) */
  Counter completions;  /* CQEs reaped */
  Counter tilesRead;    /* tiles read whole and valid */
  Counter tilesWritten; /* tiles renamed into place */
  Counter bytesRead;    /* bytes returned by reads, of any tile */
  Counter bytesWritten; /* bytes accepted by writes, of any tile */
  Counter shortReads;   /* reads that left a tile incomplete, so read on */
  Counter shortWrites;  /* writes that left bytes unwritten, so write on */
  Counter errors;       /* tiles that failed */
};

#endif /* EDGECAM_ENGINE_STATS_H */
