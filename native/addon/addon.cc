/*
 * Entry point of edgecam_native.node: registers the exports, nothing else.
 * Built by native/addon/build.sh into build/addon/Release/.
 */
#include <napi.h>

#include "engine-object.h"
#include "ring-probe.h"

namespace {

/*
 * probeUring(): { ok, errno?, message }. JS thread; never throws for a
 * missing or refused io_uring (that is what it reports).
 */
Napi::Value ProbeUring(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  RingProbe probe = ProbeRing();
  Napi::Object result = Napi::Object::New(env);

  result.Set("ok", probe.ok);
  if (!probe.ok)
    result.Set("errno", probe.errnum);
  result.Set("message", probe.message);
  return result;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Engine", EngineObject::Define(env));
  exports.Set("probeUring", Napi::Function::New<ProbeUring>(env));
  return exports;
}

} // namespace

NODE_API_MODULE(edgecam_native, Init)
