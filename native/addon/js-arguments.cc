/*
 * Argument checks for the Engine's constructor, read() and write().
 */
#include "js-arguments.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "js-errors.h"

namespace {

/* Limits: 16384 is io_uring's cap on registered buffers (one per slot). */
constexpr double kMaxSlots = 16384;
constexpr double kMaxSlotSize = 1 << 30;
constexpr double kMaxDimension = 0x7fffffff;

std::string Range(double min, double max) {
  return "an integer between " + std::to_string(static_cast<long long>(min)) +
         " and " + std::to_string(static_cast<long long>(max));
}

/* obj[key] as an integer in [min, max]; `fallback` when absent, if any. */
double Integer(Napi::Object object, const char *key, const std::string &name,
               double min, double max, const double *fallback) {
  Napi::Value value = object.Get(key);

  if (value.IsUndefined() && fallback != nullptr)
    return *fallback;
  if (value.IsNumber()) {
    double number = value.As<Napi::Number>().DoubleValue();
    if (number == std::floor(number) && number >= min && number <= max)
      return number;
  }
  throw InvalidArgument(object.Env(), name, Range(min, max), value);
}

void RejectUnknownKeys(Napi::Object object, const std::string &name,
                       const std::vector<std::string> &known) {
  Napi::Array keys = object.GetPropertyNames();
  std::string list;

  for (const std::string &key : known)
    list += (list.empty() ? "" : ", ") + key;
  for (uint32_t i = 0; i < keys.Length(); i++) {
    Napi::Value key = keys.Get(i);
    bool found = false;
    for (const std::string &candidate : known)
      found = found || key.ToString().Utf8Value() == candidate;
    if (!found)
      throw InvalidArgument(object.Env(), name, "only the keys " + list, key);
  }
}

std::string ParsePath(Napi::Object request, const std::string &name) {
  Napi::Value value = request.Get("path");

  if (value.IsString()) {
    std::string path = value.As<Napi::String>().Utf8Value();
    if (!path.empty() && std::memchr(path.data(), 0, path.size()) == nullptr)
      return path;
  }
  throw InvalidArgument(request.Env(), name + ".path", "a non-empty file path",
                        value);
}

TileFormat ParseFormat(Napi::Object request, const std::string &name) {
  const std::string expected = "'pnm' or { raw: { width, height, channels } }";
  Napi::Value value = request.Get("format");
  TileFormat format;

  if (value.IsUndefined() ||
      (value.IsString() && value.As<Napi::String>().Utf8Value() == "pnm"))
    return format;
  if (!value.IsObject() || !value.As<Napi::Object>().Get("raw").IsObject())
    throw InvalidArgument(request.Env(), name + ".format", expected, value);

  Napi::Object raw = value.As<Napi::Object>().Get("raw").As<Napi::Object>();
  std::string rawName = name + ".format.raw";
  format.raw = true;
  format.width = static_cast<uint32_t>(
      Integer(raw, "width", rawName + ".width", 1, kMaxDimension, nullptr));
  format.height = static_cast<uint32_t>(
      Integer(raw, "height", rawName + ".height", 1, kMaxDimension, nullptr));
  Napi::Value channels = raw.Get("channels");
  if (!channels.IsNumber() || (channels.As<Napi::Number>().DoubleValue() != 1 &&
                               channels.As<Napi::Number>().DoubleValue() != 3))
    throw InvalidArgument(request.Env(), rawName + ".channels", "1 or 3",
                          channels);
  format.channels = channels.As<Napi::Number>().Uint32Value();
  return format;
}

} // namespace

EngineOptions ParseEngineOptions(Napi::Value value) {
  const double depth = 256, workers = 1;
  EngineOptions options;

  if (!value.IsObject())
    throw InvalidArgument(value.Env(), "options",
                          "an object { slots, slotSize, ... }", value);
  Napi::Object object = value.As<Napi::Object>();
  RejectUnknownKeys(object, "options",
                    {"slots", "slotSize", "io", "queueDepth", "registerBuffers",
                     "iowqMaxWorkers"});

  options.slots = static_cast<size_t>(
      Integer(object, "slots", "options.slots", 1, kMaxSlots, nullptr));
  options.slotSize = static_cast<size_t>(Integer(
      object, "slotSize", "options.slotSize", 1, kMaxSlotSize, nullptr));

  Napi::Value io = object.Get("io");
  if (io.IsString() && io.As<Napi::String>().Utf8Value() == "sync")
    options.uring = false;
  else if (!io.IsUndefined() &&
           !(io.IsString() && io.As<Napi::String>().Utf8Value() == "uring"))
    throw InvalidArgument(value.Env(), "options.io", "'uring' or 'sync'", io);

  options.ring.queueDepth = static_cast<unsigned>(
      Integer(object, "queueDepth", "options.queueDepth", 4, 32768, &depth));

  Napi::Value fixed = object.Get("registerBuffers");
  if (fixed.IsBoolean())
    options.ring.registerBuffers = fixed.As<Napi::Boolean>().Value();
  else if (!fixed.IsUndefined())
    throw InvalidArgument(value.Env(), "options.registerBuffers",
                          "true or false", fixed);

  options.ring.iowqMaxWorkers = static_cast<unsigned>(Integer(
      object, "iowqMaxWorkers", "options.iowqMaxWorkers", 0, 1024, &workers));
  return options;
}

std::unique_ptr<Batch> ParseBatch(Napi::Value value, BatchKind kind,
                                  size_t slots, size_t slotSize) {
  bool reads = kind == BatchKind::kRead;
  auto batch = std::make_unique<Batch>();
  std::vector<bool> used(slots, false);

  if (!value.IsArray())
    throw InvalidArgument(value.Env(), "batch",
                          reads ? "an array of { slot, path, format? }"
                                : "an array of { slot, path, length }",
                          value);
  Napi::Array array = value.As<Napi::Array>();
  batch->kind = kind;
  batch->tiles.resize(array.Length());
  batch->results.resize(array.Length());

  for (uint32_t i = 0; i < array.Length(); i++) {
    std::string name = "batch[" + std::to_string(i) + "]";
    Napi::Value element = array.Get(i);
    TileRequest &tile = batch->tiles[i];

    if (!element.IsObject())
      throw InvalidArgument(value.Env(), name,
                            reads ? "an object { slot, path, format? }"
                                  : "an object { slot, path, length }",
                            element);
    Napi::Object request = element.As<Napi::Object>();
    tile.slot = static_cast<uint32_t>(Integer(request, "slot", name + ".slot",
                                              0, double(slots - 1), nullptr));
    if (used[tile.slot])
      throw InvalidArgument(value.Env(), name + ".slot",
                            "a slot not used earlier in the same batch",
                            request.Get("slot"));
    used[tile.slot] = true;
    tile.path = ParsePath(request, name);
    if (reads)
      tile.format = ParseFormat(request, name);
    else
      tile.length = static_cast<size_t>(Integer(
          request, "length", name + ".length", 1, double(slotSize), nullptr));
  }
  return batch;
}
