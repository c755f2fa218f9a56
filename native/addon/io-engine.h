/*
 * What the ring and the synchronous engine share: one dedicated I/O thread
 * per Engine, a queue of batches from the JS thread, the wake-up eventfd,
 * counters, and the hand-back of finished batches. Subclasses supply Setup,
 * Run and Teardown, which run on the I/O thread; their destructors call
 * Stop() first, so the thread never runs into a half-destroyed object.
 */
#ifndef EDGECAM_IO_ENGINE_H
#define EDGECAM_IO_ENGINE_H

#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "batch.h"
#include "engine-stats.h"
#include "failure.h"
#include "slot-pool.h"

/* What info() reports; fixed once Start() has returned. */
struct EngineInfo {
  std::string io;
  bool registeredBuffers = false;
  std::string buffersRefused; /* why registration failed, if it did */
  std::vector<std::string> flags;
};

class IoEngine {
public:
  /* Called on the I/O thread with a finished batch; takes ownership. */
  using DeliverFn = std::function<void(std::unique_ptr<Batch>)>;

  IoEngine(SlotPool &pool, EngineStats &stats);
  virtual ~IoEngine();

  IoEngine(const IoEngine &) = delete;
  IoEngine &operator=(const IoEngine &) = delete;

  /*
   * JS thread. Starts the I/O thread and waits until Setup() has run there.
   * Returns an empty Failure on success; on failure the thread has been
   * joined and the engine cannot be used.
   */
  Failure Start(DeliverFn deliver);

  /* JS thread. Queues a batch; false once Stop() has begun. */
  bool Submit(std::unique_ptr<Batch> batch);

  /*
   * JS thread. Asks the I/O thread to stop, joins it and returns every batch
   * it did not deliver (the caller rejects them). Idempotent.
   */
  std::vector<std::unique_ptr<Batch>> Stop();

  const EngineInfo &Info() const {
    return info_;
  }

protected:
  virtual Failure Setup() = 0; /* I/O thread, before any batch */
  virtual void Run() = 0;      /* I/O thread, until StopRequested() */
  virtual void Teardown() = 0; /* I/O thread, after Run */

  /* I/O thread: the batches queued since the last call, oldest first. */
  std::vector<std::unique_ptr<Batch>> TakeQueued();
  bool StopRequested();
  int WakeFd() const {
    return wakeFd_;
  }
  void Deliver(std::unique_ptr<Batch> batch) {
    deliver_(std::move(batch));
  }

  SlotPool &pool_;
  EngineStats &stats_;
  EngineInfo info_;
  /* Run() leaves here the batches it was working on when asked to stop. */
  std::vector<std::unique_ptr<Batch>> unfinished_;

private:
  void ThreadMain(std::promise<Failure> *started);

  std::mutex mutex_;
  std::deque<std::unique_ptr<Batch>> queue_;
  bool stopping_ = false;
  bool running_ = false;
  int wakeFd_ = -1;
  std::thread thread_;
  DeliverFn deliver_;
};

#endif /* EDGECAM_IO_ENGINE_H */
