/*
 * A finished batch as the JS array read() or write() resolves with: one
 * plain object per request, same order. JS thread only.
 */
#ifndef EDGECAM_JS_RESULTS_H
#define EDGECAM_JS_RESULTS_H

#include <napi.h>

#include "batch.h"

Napi::Array BatchResults(Napi::Env env, const Batch &batch);

#endif /* EDGECAM_JS_RESULTS_H */
