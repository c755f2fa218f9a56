/*
 * Checking and converting what JS passes in: Engine options and read/write
 * batches. JS thread only. Every function throws a TypeError with code
 * INVALID_ARGUMENT (js-errors.h) naming the parameter, e.g. batch[2].slot.
 */
#ifndef EDGECAM_JS_ARGUMENTS_H
#define EDGECAM_JS_ARGUMENTS_H

#include <memory>
#include <napi.h>

#include "batch.h"
#include "ring-setup.h"

struct EngineOptions {
  size_t slots = 0;
  size_t slotSize = 0;
  bool uring = true; /* io: 'uring' (default) or 'sync' */
  RingOptions ring;
};

/* new Engine(options): slots and slotSize required, the rest defaulted. */
EngineOptions ParseEngineOptions(Napi::Value value);

/* read(batch) / write(batch) for a pool of `slots` slots of `slotSize`. */
std::unique_ptr<Batch> ParseBatch(Napi::Value value, BatchKind kind,
                                  size_t slots, size_t slotSize);

#endif /* EDGECAM_JS_ARGUMENTS_H */
