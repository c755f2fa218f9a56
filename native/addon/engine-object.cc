/*
 * The Engine class exported to JS: argument checks, promises, the
 * threadsafe hand-back of batches, and an orderly stop of the I/O thread.
 */
#include "engine-object.h"

#include "js-errors.h"
#include "js-results.h"
#include "ring-engine.h"
#include "sync-engine.h"

Napi::Function EngineObject::Define(Napi::Env env) {
  return DefineClass(env, "Engine",
                     {
                         InstanceAccessor<&EngineObject::GetMemfd>("memfd"),
                         InstanceMethod<&EngineObject::Read>("read"),
                         InstanceMethod<&EngineObject::Write>("write"),
                         InstanceMethod<&EngineObject::Stats>("stats"),
                         InstanceMethod<&EngineObject::Info>("info"),
                         InstanceMethod<&EngineObject::Close>("close"),
                     });
}

EngineObject::EngineObject(const Napi::CallbackInfo &info)
    : Napi::ObjectWrap<EngineObject>(info), env_(info.Env()) {
  Napi::Env env = info.Env();
  Failure failure;

  options_ = ParseEngineOptions(info[0]);
  pool_ = SlotPool::Create(options_.slots, options_.slotSize, &failure);
  if (!pool_)
    throw FailureError(env, failure);

  if (options_.uring)
    io_ = std::make_unique<RingEngine>(*pool_, stats_, options_.ring);
  else
    io_ = std::make_unique<SyncEngine>(*pool_, stats_);

  /* Unreferenced while idle: an idle Engine must not keep Node running. */
  deliver_ = ThreadSafeFn::New(env, "edgecam-io", 0, 1, this);
  deliverLive_ = true;
  deliver_.Unref(env);

  failure = io_->Start([this](std::unique_ptr<Batch> batch) {
    Batch *raw = batch.release();
    if (deliver_.NonBlockingCall(raw) != napi_ok)
      delete raw; /* Node is shutting down: nobody awaits it any more. */
  });
  if (failure.failed()) {
    io_.reset();
    deliver_.Release();
    deliverLive_ = false;
    pool_.reset();
    throw FailureError(env, failure);
  }
  engineInfo_ = io_->Info();

  /* Added after the threadsafe function, so it runs before its cleanup. */
  napi_add_env_cleanup_hook(env, CleanupHook, this);
  hookAdded_ = true;
}

EngineObject::~EngineObject() {
  StopThread(Napi::Env(env_), false);
}

/*
 * Rule: stop and join the I/O thread when the environment goes away.
 * Reason: a thread left running after Node unloads the addon (a worker
 * exiting) calls into freed code: SIGSEGV (FIELD-NOTES).
 */
void EngineObject::CleanupHook(void *arg) {
  EngineObject *self = static_cast<EngineObject *>(arg);

  self->hookAdded_ = false;
  /* Node closes the threadsafe function itself from here on. */
  self->deliverLive_ = false;
  self->StopThread(Napi::Env(self->env_), false);
}

/*
 * Joins the thread. With `reject` (close()), unfinished batches reject;
 * without (environment teardown, GC), nobody is left to hear of them.
 */
void EngineObject::StopThread(Napi::Env env, bool reject) {
  if (closed_)
    return;
  closed_ = true;

  std::vector<std::unique_ptr<Batch>> left;
  if (io_)
    left = io_->Stop();
  io_.reset();

  for (auto &batch : left) {
    auto it = deferreds_.find(batch->id);
    if (!reject || it == deferreds_.end())
      continue;
    it->second.Reject(
        FailureError(env, TileFailure("ENGINE_CLOSED",
                                      "the engine was closed before this "
                                      "batch finished; create a new Engine "
                                      "and submit it again"))
            .Value());
    deferreds_.erase(it);
    Unhold(env);
  }

  /* Results already queued still arrive: Release lets the queue drain. */
  if (deliverLive_) {
    deliver_.Release();
    deliverLive_ = false;
  }
  if (hookAdded_) {
    napi_remove_env_cleanup_hook(env, CleanupHook, this);
    hookAdded_ = false;
  }
  pool_.reset();
}

void EngineObject::CallJs(Napi::Env env, Napi::Function, EngineObject *self,
                          Batch *batch) {
  std::unique_ptr<Batch> owned(batch);

  if (static_cast<napi_env>(env) == nullptr || self == nullptr)
    return;
  self->Settle(env, owned.get());
}

void EngineObject::Settle(Napi::Env env, Batch *batch) {
  auto it = deferreds_.find(batch->id);

  if (it == deferreds_.end())
    return;
  Napi::Promise::Deferred deferred = it->second;
  deferreds_.erase(it);
  deferred.Resolve(BatchResults(env, *batch));
  Unhold(env);
}

/* While batches are pending, keep the Engine alive and Node running. */
void EngineObject::Hold(Napi::Env env) {
  if (pending_++ > 0)
    return;
  Ref();
  if (deliverLive_)
    deliver_.Ref(env);
}

void EngineObject::Unhold(Napi::Env env) {
  if (--pending_ > 0)
    return;
  if (deliverLive_)
    deliver_.Unref(env);
  Unref();
}

Napi::Value EngineObject::Enqueue(Napi::Env env, Napi::Value requests,
                                  BatchKind kind) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);

  if (closed_) {
    deferred.Reject(
        FailureError(env, TileFailure("ENGINE_CLOSED",
                                      "the engine is closed; create a new "
                                      "Engine to read or write tiles"))
            .Value());
    return deferred.Promise();
  }

  std::unique_ptr<Batch> batch =
      ParseBatch(requests, kind, options_.slots, options_.slotSize);
  if (batch->tiles.empty()) {
    deferred.Resolve(Napi::Array::New(env));
    return deferred.Promise();
  }

  batch->id = nextBatchId_++;
  deferreds_.emplace(batch->id, deferred);
  Hold(env);
  io_->Submit(std::move(batch));
  return deferred.Promise();
}

/*
 * read(batch): reads each tile into its slot. Resolves with one result per
 * request, in order; a tile that fails does not fail the batch. Throws
 * INVALID_ARGUMENT synchronously for malformed requests (a slot out of range
 * or used twice in the batch); rejects with ENGINE_CLOSED after close().
 * Tiles for a slot still busy in an earlier batch wait for it, in order.
 */
Napi::Value EngineObject::Read(const Napi::CallbackInfo &info) {
  return Enqueue(info.Env(), info[0], BatchKind::kRead);
}

/* write(batch): like read(), writing each slot's first `length` bytes. */
Napi::Value EngineObject::Write(const Napi::CallbackInfo &info) {
  return Enqueue(info.Env(), info[0], BatchKind::kWrite);
}

/* The pool's fd, to pass to a host as its fd 4; -1 after close(). */
Napi::Value EngineObject::GetMemfd(const Napi::CallbackInfo &info) {
  return Napi::Number::New(info.Env(), pool_ ? pool_->Fd() : -1);
}

Napi::Value EngineObject::Stats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object object = Napi::Object::New(env);
  const std::pair<const char *, const Counter *> counters[] = {
      {"batches", &stats_.batches},
      {"submissions", &stats_.submissions},
      {"enters", &stats_.enters},
      {"completions", &stats_.completions},
      {"tilesRead", &stats_.tilesRead},
      {"tilesWritten", &stats_.tilesWritten},
      {"bytesRead", &stats_.bytesRead},
      {"bytesWritten", &stats_.bytesWritten},
      {"shortReads", &stats_.shortReads},
      {"shortWrites", &stats_.shortWrites},
      {"errors", &stats_.errors},
  };

  for (const auto &counter : counters)
    object.Set(counter.first,
               Napi::Number::New(env, double(counter.second->Get())));
  return object;
}

/* What the engine got from this kernel; fixed at construction. */
Napi::Value EngineObject::Info(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Object object = Napi::Object::New(env);
  const EngineInfo &engine = engineInfo_;
  Napi::Array flags = Napi::Array::New(env, engine.flags.size());

  for (size_t i = 0; i < engine.flags.size(); i++)
    flags.Set(static_cast<uint32_t>(i), engine.flags[i]);
  object.Set("io", engine.io);
  object.Set("registeredBuffers", engine.registeredBuffers);
  object.Set("flags", flags);
  object.Set("slots", double(options_.slots));
  object.Set("slotSize", double(options_.slotSize));
  if (!engine.buffersRefused.empty())
    object.Set("buffersRefused", engine.buffersRefused);
  return object;
}

/*
 * close(): stops and joins the I/O thread (in-flight requests are
 * cancelled, temp files of unfinished writes removed), rejects batches that
 * did not finish with ENGINE_CLOSED, and frees the pool. Idempotent.
 */
Napi::Value EngineObject::Close(const Napi::CallbackInfo &info) {
  StopThread(info.Env(), true);
  return info.Env().Undefined();
}
