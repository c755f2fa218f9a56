/*
 * Results to JS: { slot, ok: true, length, headerLength, width, height,
 * channels, kind } for a read, { slot, ok: true } for a write, and
 * { slot, ok: false, code, errno?, message } for any tile that failed.
 */
#include "js-results.h"

namespace {

const char *KindName(TileKind kind) {
  switch (kind) {
  case TileKind::kPgm:
    return "pgm";
  case TileKind::kPpm:
    return "ppm";
  case TileKind::kRaw:
    break;
  }
  return "raw";
}

Napi::Object TileResultObject(Napi::Env env, const Batch &batch, size_t i) {
  const TileResult &result = batch.results[i];
  const TileGeometry &g = result.geometry;
  Napi::Object object = Napi::Object::New(env);

  object.Set("slot", Napi::Number::New(env, batch.tiles[i].slot));
  object.Set("ok", Napi::Boolean::New(env, result.ok));
  if (!result.ok) {
    object.Set("code", Napi::String::New(env, result.failure.code));
    if (result.failure.errnum != 0)
      object.Set("errno", Napi::Number::New(env, result.failure.errnum));
    object.Set("message", Napi::String::New(env, result.failure.message));
    return object;
  }
  if (batch.kind == BatchKind::kWrite)
    return object;

  object.Set("length", Napi::Number::New(env, double(g.length)));
  object.Set("headerLength", Napi::Number::New(env, double(g.headerLength)));
  object.Set("width", Napi::Number::New(env, g.width));
  object.Set("height", Napi::Number::New(env, g.height));
  object.Set("channels", Napi::Number::New(env, g.channels));
  object.Set("kind", Napi::String::New(env, KindName(g.kind)));
  return object;
}

} // namespace

Napi::Array BatchResults(Napi::Env env, const Batch &batch) {
  Napi::Array array = Napi::Array::New(env, batch.tiles.size());

  for (size_t i = 0; i < batch.tiles.size(); i++)
    array.Set(static_cast<uint32_t>(i), TileResultObject(env, batch, i));
  return array;
}
