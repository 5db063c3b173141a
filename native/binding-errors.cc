// See binding-errors.h.
#include "binding-errors.h"

#include <cmath>
#include <new>

#include "text.h"

namespace kiln::js {

Napi::Error toJsError(Napi::Env env, std::exception_ptr error) {
  std::string code = codes::kInternal, message = "unknown native error";
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    code = e.code();
    message = e.what();
  } catch (const std::bad_alloc&) {
    code = codes::kOutOfMemory;
    message = "out of memory";
  } catch (const std::exception& e) {
    message = cat("internal error: ", e.what());
  } catch (...) {
  }
  Napi::Error js = code == codes::kArgument ? Napi::TypeError::New(env, message) : Napi::Error::New(env, message);
  js.Set("code", Napi::String::New(env, code));
  return js;
}

std::string describeValue(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsNumber()) return cat(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) return quoted(v.As<Napi::String>().Utf8Value());
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
  if (v.IsArray()) return "an array";
  if (v.IsTypedArray()) return "a typed array";
  if (v.IsFunction()) return "a function";
  if (v.IsBigInt()) return "a bigint";
  return "an object";
}

void argumentError(const std::string& what, const std::string& expected, const Napi::Value& got) {
  throw Error(codes::kArgument, cat(what, " must be ", expected, ", got ", describeValue(got)));
}

Napi::Object objectArg(const Napi::Value& v, const std::string& what) {
  if (!v.IsObject() || v.IsArray()) argumentError(what, "an object", v);
  return v.As<Napi::Object>();
}

Napi::Array arrayArg(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) argumentError(what, "an array", v);
  return v.As<Napi::Array>();
}

Napi::Uint8Array bytesArg(const Napi::Value& v, const std::string& what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    argumentError(what, "a Uint8Array", v);
  return v.As<Napi::Uint8Array>();
}

std::string stringArg(const Napi::Value& v, const std::string& what) {
  if (!v.IsString()) argumentError(what, "a string", v);
  return v.As<Napi::String>().Utf8Value();
}

double numberArg(const Napi::Value& v, const std::string& what) {
  if (!v.IsNumber()) argumentError(what, "a number", v);
  return v.As<Napi::Number>().DoubleValue();
}

int64_t integerArg(const Napi::Value& v, const std::string& what, int64_t lo, int64_t hi) {
  const std::string expected = lo == 0 && hi >= (int64_t(1) << 53) - 1 ? std::string("a non-negative integer")
                               : cat("an integer in ", lo, "..", hi);
  if (!v.IsNumber()) argumentError(what, expected, v);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < double(lo) || d > double(hi)) argumentError(what, expected, v);
  return static_cast<int64_t>(d);
}

}  // namespace kiln::js
