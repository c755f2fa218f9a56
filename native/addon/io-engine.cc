/*
 * The I/O thread's life: start, take batches, stop, join.
 */
#include "io-engine.h"

#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

IoEngine::IoEngine(SlotPool &pool, EngineStats &stats)
    : pool_(pool), stats_(stats) {
  wakeFd_ = eventfd(0, EFD_CLOEXEC);
}

IoEngine::~IoEngine() {
  Stop();
  if (wakeFd_ >= 0)
    close(wakeFd_);
}

Failure IoEngine::Start(DeliverFn deliver) {
  std::promise<Failure> started;
  Failure failure;

  if (wakeFd_ < 0)
    return SystemFailure("eventfd", errno, "raise the open-file limit");
  deliver_ = std::move(deliver);

  thread_ = std::thread(&IoEngine::ThreadMain, this, &started);
  failure = started.get_future().get();
  if (failure.failed()) {
    thread_.join();
    return failure;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  running_ = true;
  return failure;
}

void IoEngine::ThreadMain(std::promise<Failure> *started) {
  sigset_t all;

  /* Rule: no signal handler runs on this thread. Reason: a signal would cut
   * a wait short (EINTR) for nothing; Node handles them on its own threads. */
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);

  Failure failure = Setup();

  /* After set_value the promise belongs to Start(), which may return. */
  started->set_value(failure);
  if (failure.failed())
    return;
  Run();
  Teardown();
}

bool IoEngine::Submit(std::unique_ptr<Batch> batch) {
  const uint64_t one = 1;

  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || !running_)
      return false;
    queue_.push_back(std::move(batch));
  }

  /* Cannot fail short of a full counter (2^64 - 2 wake-ups). */
  (void)!write(wakeFd_, &one, sizeof one);
  return true;
}

std::vector<std::unique_ptr<Batch>> IoEngine::Stop() {
  std::vector<std::unique_ptr<Batch>> left;
  const uint64_t one = 1;

  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || !running_)
      return left;
    stopping_ = true;
  }
  (void)!write(wakeFd_, &one, sizeof one);
  thread_.join();

  /* The thread is gone: its leftovers and the queue are ours now. */
  left = std::move(unfinished_);
  for (auto &batch : queue_)
    left.push_back(std::move(batch));
  queue_.clear();
  return left;
}

std::vector<std::unique_ptr<Batch>> IoEngine::TakeQueued() {
  std::vector<std::unique_ptr<Batch>> taken;
  std::lock_guard<std::mutex> lock(mutex_);

  for (auto &batch : queue_)
    taken.push_back(std::move(batch));
  queue_.clear();
  return taken;
}

bool IoEngine::StopRequested() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stopping_;
}
