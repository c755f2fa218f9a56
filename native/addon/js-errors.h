/*
 * JS Error objects made by the addon, all with a stable `code`. JS thread
 * only. Bad arguments share one message shape: "Expected <what> for
 * <parameter> but received <value>".
 */
#ifndef EDGECAM_JS_ERRORS_H
#define EDGECAM_JS_ERRORS_H

#include <napi.h>
#include <string>

#include "failure.h"

/* A TypeError with code INVALID_ARGUMENT. */
Napi::Error InvalidArgument(Napi::Env env, const std::string &parameter,
                            const std::string &expected, Napi::Value received);

/* An Error carrying failure.code, failure.errno (if any) and its message. */
Napi::Error FailureError(Napi::Env env, const Failure &failure);

/* The value as a message shows it: 'text', 12, nothing, an object... */
std::string DescribeValue(Napi::Value value);

#endif /* EDGECAM_JS_ERRORS_H */
