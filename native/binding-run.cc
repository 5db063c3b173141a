// See binding-run.h. Inputs are validated and copied into the arena on the
// JS thread before the worker is queued, so the worker never touches JS
// memory and the caller may reuse its buffers as soon as run() returns.
#include "binding-run.h"

#include <cstdlib>
#include <cstring>

#include "binding-errors.h"
#include "text.h"

namespace kiln::js {
namespace {

struct ArrayKind {
  std::vector<DType> dtypes;  // what the array can carry
  const char* name;           // how a mismatch is printed
};

ArrayKind arrayKind(napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array: return {{DType::f32}, "f32"};
    case napi_int32_array: return {{DType::i32}, "i32"};
    case napi_bigint64_array: return {{DType::i64}, "i64"};
    case napi_uint8_array: return {{DType::u8, DType::boolean}, "u8"};
    case napi_uint8_clamped_array: return {{DType::u8, DType::boolean}, "u8"};
    case napi_int8_array: return {{DType::i8}, "i8"};
    case napi_uint16_array: return {{DType::f16, DType::bf16}, "f16"};
    case napi_int16_array: return {{}, "i16"};
    case napi_uint32_array: return {{}, "u32"};
    case napi_float64_array: return {{}, "f64"};
    case napi_biguint64_array: return {{}, "u64"};
    default: return {{}, "unknown"};
  }
}

}  // namespace

std::vector<InputData> parseInputs(const Napi::Value& value) {
  const Napi::Array list = arrayArg(value, "inputs");
  std::vector<InputData> inputs(list.Length());
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string what = cat("inputs[", i, "]");
    const Napi::Object o = objectArg(list.Get(i), what);
    InputData& in = inputs[i];
    in.name = stringArg(o.Get("name"), what + ".name");
    const Napi::Value data = o.Get("data");
    if (!data.IsTypedArray()) argumentError(what + ".data", "a typed array", data);
    const Napi::TypedArray array = data.As<Napi::TypedArray>();
    ArrayKind kind = arrayKind(array.TypedArrayType());
    in.candidates = std::move(kind.dtypes);
    in.arrayDtype = kind.name;
    in.elements = array.ElementLength();
    in.data = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
    const Napi::Array shape = arrayArg(o.Get("shape"), what + ".shape");
    for (uint32_t d = 0; d < shape.Length(); ++d)
      in.shape.push_back(integerArg(shape.Get(d), cat(what, ".shape[", d, "]"), 0, (int64_t(1) << 53) - 1));
  }
  return inputs;
}

namespace {

template <typename T>
Napi::Value typedCopy(Napi::Env env, napi_typedarray_type type, const uint8_t* data, uint64_t bytes) {
  Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes) std::memcpy(buffer.Data(), data, bytes);
  return Napi::TypedArrayOf<T>::New(env, bytes / sizeof(T), buffer, 0, type);
}

Napi::Value outputArray(Napi::Env env, DType dtype, const uint8_t* data, uint64_t bytes) {
  switch (dtype) {
    case DType::f32: return typedCopy<float>(env, napi_float32_array, data, bytes);
    case DType::i32: return typedCopy<int32_t>(env, napi_int32_array, data, bytes);
    case DType::i64: return typedCopy<int64_t>(env, napi_bigint64_array, data, bytes);
    case DType::i8: return typedCopy<int8_t>(env, napi_int8_array, data, bytes);
    case DType::f16:
    case DType::bf16: return typedCopy<uint16_t>(env, napi_uint16_array, data, bytes);
    case DType::u8:
    case DType::boolean: break;
  }
  return typedCopy<uint8_t>(env, napi_uint8_array, data, bytes);
}

// Every output of the engine as {name, shape, dtype, data}, copied out of the arena.
Napi::Array outputsOf(Napi::Env env, const ExecutionContext& context) {
  const PlanModel& plan = context.engine().plan();
  Napi::Array outputs = Napi::Array::New(env, plan.outputs.size());
  for (uint32_t i = 0; i < plan.outputs.size(); ++i) {
    const TensorDesc& t = plan.tensors[plan.outputs[i]];
    const Shape& dims = context.outputShape(i);  // the run's shape (dynamic plans)
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", t.name);
    Napi::Array shape = Napi::Array::New(env, dims.size());
    for (uint32_t d = 0; d < dims.size(); ++d) shape.Set(d, Napi::Number::New(env, double(dims[d])));
    o.Set("shape", shape);
    o.Set("dtype", dtypeName(t.dtype));
    o.Set("data", outputArray(env, t.dtype, context.outputData(i), elementCount(dims) * dtypeSize(t.dtype)));
    outputs.Set(i, o);
  }
  return outputs;
}

// A run whose previous execution took less than this runs on the calling
// thread: the hop to a libuv worker and back costs about as much (far more on
// a loaded machine), and blocking the loop that briefly is ordinary JS work.
// KILN_RUN_INLINE_US overrides it (0: always on a worker).
double inlineRunMicros() {
  static const double limit = [] {
    const char* v = std::getenv("KILN_RUN_INLINE_US");
    return v ? std::atof(v) : 250.0;
  }();
  return limit;
}

class RunWorker final : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, Napi::Promise::Deferred deferred, std::unique_ptr<RunLease> lease)
      : Napi::AsyncWorker(env, "kiln.run"), deferred_(deferred), lease_(std::move(lease)) {}

  void Execute() override {
    try {
      lease_->context().execute();
    } catch (...) {
      error_ = std::current_exception();
      SetError("kiln run failed");  // routes completion to OnError
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    try {
      Napi::Array outputs = outputsOf(env, lease_->context());
      lease_.reset();  // the context is free before any continuation runs
      deferred_.Resolve(outputs);
    } catch (...) {
      lease_.reset();
      deferred_.Reject(toJsError(env, std::current_exception()).Value());
    }
  }

  void OnError(const Napi::Error&) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    lease_.reset();
    deferred_.Reject(toJsError(env, error_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<RunLease> lease_;
  std::exception_ptr error_;
};

}  // namespace

Napi::Value runAsync(Napi::Env env, const std::shared_ptr<ExecutionContext>& context, const Napi::Value& inputs) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    if (!context->tryBegin())
      throw Error(codes::kBusy, "this context is already running an inference; await it or use another context");
    auto lease = std::make_unique<RunLease>(context);
    context->setInputs(parseInputs(inputs));
    const double last = context->lastExecuteMicros();
    if (last > 0 && last < inlineRunMicros() && !context->engine().cuda()) {
      context->execute();
      Napi::Array outputs = outputsOf(env, *context);
      lease.reset();
      deferred.Resolve(outputs);
      return deferred.Promise();
    }
    (new RunWorker(env, deferred, std::move(lease)))->Queue();  // deletes itself when done
  } catch (...) {
    deferred.Reject(toJsError(env, std::current_exception()).Value());
  }
  return deferred.Promise();
}

}  // namespace kiln::js
