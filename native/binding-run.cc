// See binding-run.h. Inputs are validated and copied into the arena on the
// JS thread before any layer runs, so no layer touches JS memory and the
// caller may reuse its buffers as soon as run() returns.
//
// Where the layers run (runAsync): a short run on the JS thread, a long one on
// a libuv worker; with KILN_RUN_INLINE_US set, once a shape set has run, on the
// JS thread in slices with the event loop turning between them (setImmediate).
// The hop to a worker and back costs two thread wake-ups, which
// onnxruntime-node, running every inference on the JS thread, never pays;
// beside it on the shared 2-core host the hop made SqueezeNet's and
// MobileNetV2's batch-1 medians up to 1.35x longer while the load swung
// (test/bench/run-overhead.ts). CUDA plans, and runs that begin while another
// is in flight (so contexts still run concurrently), go to a worker.
#include "binding-run.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>

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

// Where a run's layers execute. By default a run whose last execution took
// under kInlineRunMicros runs whole on the calling thread (the hop to a libuv
// worker and back costs about as much, and holding the loop that briefly is
// ordinary JS work) and every other run goes to a worker, so a long run never
// holds the event loop (DESIGN.md's contract for run). KILN_RUN_INLINE_US=N
// (N > 0) opts in to running in slices of about N us on the JS thread,
// onnxruntime-node's way of running, which measured faster beside it only while
// the host's load swung; 0 sends every run to a worker. Read at every run, so a
// benchmark can compare the paths in one process.
constexpr double kInlineRunMicros = 250;

// A layer runs alone in its slice when it is longer than the budget; runs
// with a layer longer than this many budgets go to a worker.
constexpr double kLongestLayerSlices = 4;

// Runs begun and not yet settled, in every context of the process: a run
// takes the JS thread only while no other is in flight, so runs of several
// contexts still execute in parallel on workers.
std::atomic<int> gRunsInFlight{0};

// Settles a run's promise once: releases the context first, so a
// continuation may start the next run on it.
void settle(Napi::Env env, Napi::Promise::Deferred& deferred, std::unique_ptr<RunLease>& lease,
            std::exception_ptr error) {
  if (!error) {
    try {
      Napi::Array outputs = outputsOf(env, lease->context());
      lease.reset();
      --gRunsInFlight;
      deferred.Resolve(outputs);
      return;
    } catch (...) {
      error = std::current_exception();
    }
  }
  lease.reset();
  --gRunsInFlight;
  deferred.Reject(toJsError(env, error).Value());
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
    Napi::HandleScope scope(Env());
    settle(Env(), deferred_, lease_, nullptr);
  }

  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    settle(Env(), deferred_, lease_, error_);
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<RunLease> lease_;
  std::exception_ptr error_;
};

// A run on the JS thread: one slice now, the next ones from setImmediate.
// The continuation function holds the run (and the run its function, until
// it settles), so neither is collected in between.
class SlicedRun : public std::enable_shared_from_this<SlicedRun> {
 public:
  SlicedRun(Napi::Promise::Deferred deferred, std::unique_ptr<RunLease> lease, double sliceMicros)
      : deferred_(deferred), lease_(std::move(lease)), sliceMicros_(sliceMicros) {}

  void step(Napi::Env env) {
    try {
      if (!lease_->context().executeSlice(next_, sliceMicros_)) {
        if (continuation_.IsEmpty()) {
          auto self = shared_from_this();
          continuation_ = Napi::Persistent(
              Napi::Function::New(env, [self](const Napi::CallbackInfo& cb) { self->step(cb.Env()); }, "kilnRunSlice"));
        }
        env.Global().Get("setImmediate").As<Napi::Function>().Call({continuation_.Value()});
        return;
      }
    } catch (...) {
      continuation_.Reset();
      settle(env, deferred_, lease_, std::current_exception());
      return;
    }
    continuation_.Reset();
    settle(env, deferred_, lease_, nullptr);
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<RunLease> lease_;
  Napi::FunctionReference continuation_;
  double sliceMicros_;
  size_t next_ = 0;
};

}  // namespace

Napi::Value runAsync(Napi::Env env, const std::shared_ptr<ExecutionContext>& context, const Napi::Value& inputs) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    if (!context->tryBegin())
      throw Error(codes::kBusy, "this context is already running an inference; await it or use another context");
    auto lease = std::make_unique<RunLease>(context);
    const auto copies = context->checkInputs(parseInputs(inputs));
    // The pool's workers wake while the inputs are copied, not in the first layer.
    context->beginRun();
    context->copyInputs(copies);
    const char* setting = std::getenv("KILN_RUN_INLINE_US");
    const double slice = setting ? std::atof(setting) : std::numeric_limits<double>::infinity();
    const double last = context->lastExecuteMicros(), longest = context->longestLayerMicros();
    const bool onThisThread = setting ? slice > 0 && longest >= 0 && longest <= kLongestLayerSlices * slice
                                      : last > 0 && last < kInlineRunMicros && !context->engine().cuda();
    if (onThisThread && gRunsInFlight.load() == 0) {
      ++gRunsInFlight;  // settle() counts it down
      std::make_shared<SlicedRun>(deferred, std::move(lease), slice)->step(env);
    } else {
      auto* worker = new RunWorker(env, deferred, std::move(lease));  // deletes itself when done
      worker->Queue();
      ++gRunsInFlight;
    }
  } catch (...) {
    deferred.Reject(toJsError(env, std::current_exception()).Value());
  }
  return deferred.Promise();
}

}  // namespace kiln::js
