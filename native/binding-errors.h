// The one place native errors become JS errors, plus the typed argument
// readers every binding method uses. A kiln::Error becomes an Error (a
// TypeError for KILN_ARGUMENT) whose .code is the kiln code; bad_alloc becomes
// KILN_OUT_OF_MEMORY; anything else KILN_INTERNAL.
#pragma once

#include <napi.h>

#include <cstdint>
#include <exception>
#include <string>

#include "error.h"

namespace kiln::js {

// Converts the exception (from std::current_exception()) into a JS error value.
Napi::Error toJsError(Napi::Env env, std::exception_ptr error);

// Runs `body`, rethrowing any non-JS exception as the converted JS error.
template <typename Body>
auto guarded(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw toJsError(env, std::current_exception());
  }
}

// Argument readers. `what` names the argument in messages
// ("desc.tensors[2].offset must be a non-negative integer, got -1").
[[noreturn]] void argumentError(const std::string& what, const std::string& expected, const Napi::Value& got);
std::string describeValue(const Napi::Value& v);
Napi::Object objectArg(const Napi::Value& v, const std::string& what);
Napi::Array arrayArg(const Napi::Value& v, const std::string& what);
Napi::Uint8Array bytesArg(const Napi::Value& v, const std::string& what);
std::string stringArg(const Napi::Value& v, const std::string& what);
double numberArg(const Napi::Value& v, const std::string& what);
// Integral numbers within [lo, hi] (both within +-2^53).
int64_t integerArg(const Napi::Value& v, const std::string& what, int64_t lo, int64_t hi);

}  // namespace kiln::js
