/*
 * Errors thrown or rejected to JS: the one place native failures become
 * Error objects.
 */
#include "js-errors.h"

#include <cmath>

std::string DescribeValue(Napi::Value value) {
  switch (value.Type()) {
  case napi_undefined:
    return "nothing";
  case napi_null:
    return "null";
  case napi_boolean:
    return value.As<Napi::Boolean>().Value() ? "true" : "false";
  case napi_number: {
    double number = value.As<Napi::Number>().DoubleValue();
    if (std::isfinite(number) && number == std::floor(number) &&
        std::fabs(number) < 1e15)
      return std::to_string(static_cast<long long>(number));
    return value.ToString().Utf8Value();
  }
  case napi_string:
    return "'" + value.As<Napi::String>().Utf8Value() + "'";
  case napi_function:
    return "a function";
  case napi_object:
    return value.IsArray() ? "an array" : "an object";
  default:
    return "a " + value.ToString().Utf8Value();
  }
}

Napi::Error InvalidArgument(Napi::Env env, const std::string &parameter,
                            const std::string &expected, Napi::Value received) {
  Napi::Error error =
      Napi::TypeError::New(env, "Expected " + expected + " for " + parameter +
                                    " but received " + DescribeValue(received));
  error.Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  return error;
}

Napi::Error FailureError(Napi::Env env, const Failure &failure) {
  Napi::Error error = Napi::Error::New(env, failure.message);

  error.Set("code", Napi::String::New(env, failure.code));
  if (failure.errnum != 0)
    error.Set("errno", Napi::Number::New(env, failure.errnum));
  return error;
}
