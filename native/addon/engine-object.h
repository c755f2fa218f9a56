/*
 * The JS class Engine: a slot pool and the I/O thread that reads tiles into
 * it and writes them out. Created, called and closed on the JS thread; the
 * I/O thread hands finished batches back through a threadsafe function,
 * whose callback settles each batch's promise on the JS thread.
 */
#ifndef EDGECAM_ENGINE_OBJECT_H
#define EDGECAM_ENGINE_OBJECT_H

#include <memory>
#include <napi.h>
#include <unordered_map>

#include "engine-stats.h"
#include "io-engine.h"
#include "js-arguments.h"
#include "slot-pool.h"

class EngineObject : public Napi::ObjectWrap<EngineObject> {
public:
  static Napi::Function Define(Napi::Env env);

  /*
   * new Engine(options). Creates the pool (a memfd the Engine owns and
   * closes in close()), starts the I/O thread and, for io 'uring', creates
   * the ring on it. Defaults: io 'uring', queueDepth 256, registerBuffers
   * true (refusal is recorded in info(), not thrown), iowqMaxWorkers 1.
   * Throws INVALID_ARGUMENT for bad options, or an Error whose code is the
   * errno name (ENOMEM, EPERM, ENOSYS...) with a message saying what to do.
   */
  explicit EngineObject(const Napi::CallbackInfo &info);
  ~EngineObject() override;

private:
  static void CallJs(Napi::Env env, Napi::Function unused, EngineObject *self,
                     Batch *batch);
  using ThreadSafeFn =
      Napi::TypedThreadSafeFunction<EngineObject, Batch, &EngineObject::CallJs>;
  static void CleanupHook(void *self);

  Napi::Value GetMemfd(const Napi::CallbackInfo &info);
  Napi::Value Read(const Napi::CallbackInfo &info);
  Napi::Value Write(const Napi::CallbackInfo &info);
  Napi::Value Stats(const Napi::CallbackInfo &info);
  Napi::Value Info(const Napi::CallbackInfo &info);
  Napi::Value Close(const Napi::CallbackInfo &info);

  Napi::Value Enqueue(Napi::Env env, Napi::Value requests, BatchKind kind);
  void Settle(Napi::Env env, Batch *batch);
  void StopThread(Napi::Env env, bool reject);
  void Hold(Napi::Env env);
  void Unhold(Napi::Env env);

  EngineOptions options_;
  EngineInfo engineInfo_; /* copied from the I/O engine once started */
  EngineStats stats_;
  std::unique_ptr<SlotPool> pool_;
  std::unique_ptr<IoEngine> io_;
  ThreadSafeFn deliver_;
  bool deliverLive_ = false;
  bool hookAdded_ = false;
  bool closed_ = false;
  napi_env env_;
  std::unordered_map<uint64_t, Napi::Promise::Deferred> deferreds_;
  uint64_t nextBatchId_ = 1;
  size_t pending_ = 0; /* batches submitted, not yet settled */
};

#endif /* EDGECAM_ENGINE_OBJECT_H */
