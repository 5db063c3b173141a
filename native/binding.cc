// The Node-API surface of the kiln runtime: thin wrappers that parse JS
// arguments, call into native/, and convert results. No policy lives here.
//
// serializePlan(desc: PlanDesc): Uint8Array                       [sync]
//   Validates the desc completely (structure and every layer against its
//   kernel) and returns the plan bytes. Throws KILN_ARGUMENT (TypeError) for
//   ill-typed fields, KILN_PLAN_INVALID / KILN_KERNEL for invalid plans.
// inspectPlan(bytes: Uint8Array): EngineInfo                      [sync]
//   Fully validates plan bytes without creating an engine or contexts and
//   without requiring this CPU to have the plan's ISA. Throws KILN_PLAN_*,
//   KILN_KERNEL.
// new Engine(bytes: Uint8Array)                                    [sync]
//   Loads a plan: validation, CPU feature check (KILN_PLAN_ISA), weights
//   copied into aligned memory; `bytes` may be discarded afterwards.
// engine.info(): EngineInfo                                        [sync]
// new Context(engine: Engine, threads?: number)                    [sync]
//   An execution context with its own arena and `threads` threads (0 or
//   omitted: one per hardware thread). Throws KILN_ARGUMENT.
// context.run(inputs: {name, data: TypedArray, shape: number[]}[])
//   : Promise<{name, shape, dtype, data: TypedArray}[]>            [async]
//   Validates and copies the inputs, runs the layers on a libuv worker, and
//   resolves with the outputs in plan order. Rejects (never throws) with
//   KILN_ARGUMENT, KILN_INPUT, KILN_BUSY (a run already in flight on this
//   context) or KILN_KERNEL.
// context.profile(inputs, options?), timeLayers(desc, options?): per-layer
//   timing (profiles, autotuning); see binding-profile.h
// cpuFeatures(): string[]         features of this CPU kiln knows   [sync]
// hardwareThreads(): number                                         [sync]
// gemmKernel(): string            GEMM micro-kernel in use (diagnostics) [sync]
// context.gpuMs: number           GPU time of the last run (CUDA plans; -1 on CPU)
// context.setInputShape(name: string, dims: number[]): void      [sync]
//   Checks dims against the active profile and records them. Throws
//   KILN_INPUT naming the input, dim, bound and profile; KILN_ARGUMENT.
// context.setOptimizationProfile(index: number): void             [sync]
// context.tensorShape(name: string): number[]                     [sync]
//   A tensor's shape under the input shapes set so far (dim programs).
// engine.shapeSetsPrepared(): number   dynamic plans: shape sets prepared [sync]
// cudaDevices(), nvrtcInfo(), cudaCompile(): see cuda/binding-cuda.h
#include <napi.h>

#include <cstring>
#include <memory>

#include "binding-errors.h"
#include "binding-plan.h"
#include "binding-profile.h"
#include "binding-run.h"
#include "cpu-features.h"
#include "cpu/sgemm.h"
#include "cuda/binding-cuda.h"
#include "engine.h"
#include "execution-context.h"
#include "plan-writer.h"
#include "text.h"

namespace kiln::js {
namespace {

struct AddonData {
  Napi::FunctionReference engineClass;
};

class EngineWrap final : public Napi::ObjectWrap<EngineWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Engine", {InstanceMethod<&EngineWrap::info>("info"),
                                       InstanceMethod<&EngineWrap::shapeSetsPrepared>("shapeSetsPrepared")});
  }

  explicit EngineWrap(const Napi::CallbackInfo& cb) : Napi::ObjectWrap<EngineWrap>(cb) {
    guarded(cb.Env(), [&] {
      const Napi::Uint8Array bytes = bytesArg(cb[0], "bytes");
      engine_ = Engine::load(bytes.Data(), bytes.ByteLength());
    });
  }

  const std::shared_ptr<const Engine>& engine() const { return engine_; }

 private:
  Napi::Value info(const Napi::CallbackInfo& cb) {
    return guarded(cb.Env(), [&] { return Napi::Value(engineInfo(cb.Env(), engine_->plan())); });
  }

  Napi::Value shapeSetsPrepared(const Napi::CallbackInfo& cb) {
    return Napi::Number::New(cb.Env(), double(engine_->shapeSetsPrepared()));
  }

  std::shared_ptr<const Engine> engine_;
};

class ContextWrap final : public Napi::ObjectWrap<ContextWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "Context", {InstanceMethod<&ContextWrap::run>("run"),
                                        InstanceMethod<&ContextWrap::profile>("profile"),
                                        InstanceMethod<&ContextWrap::setInputShape>("setInputShape"),
                                        InstanceMethod<&ContextWrap::setOptimizationProfile>("setOptimizationProfile"),
                                        InstanceMethod<&ContextWrap::tensorShape>("tensorShape"),
                                        InstanceAccessor<&ContextWrap::threads>("threads"),
                                        InstanceAccessor<&ContextWrap::gpuMs>("gpuMs")});
  }

  explicit ContextWrap(const Napi::CallbackInfo& cb) : Napi::ObjectWrap<ContextWrap>(cb) {
    guarded(cb.Env(), [&] {
      const Napi::FunctionReference& engineClass = cb.Env().GetInstanceData<AddonData>()->engineClass;
      if (!cb[0].IsObject() || !cb[0].As<Napi::Object>().InstanceOf(engineClass.Value()))
        argumentError("engine", "an Engine", cb[0]);
      const unsigned threads =
          cb[1].IsUndefined() ? 0u : unsigned(integerArg(cb[1], "threads", 0, 1024));
      auto engine = EngineWrap::Unwrap(cb[0].As<Napi::Object>())->engine();
      context_ = std::make_shared<ExecutionContext>(engine, threads);
    });
  }

 private:
  Napi::Value run(const Napi::CallbackInfo& cb) { return runAsync(cb.Env(), context_, cb[0]); }

  Napi::Value profile(const Napi::CallbackInfo& cb) { return profileAsync(cb.Env(), context_, cb[0], cb[1]); }

  Napi::Value threads(const Napi::CallbackInfo& cb) { return Napi::Number::New(cb.Env(), context_->threads()); }

  Napi::Value setInputShape(const Napi::CallbackInfo& cb) {
    return guarded(cb.Env(), [&] {
      const std::string name = stringArg(cb[0], "name");
      const Napi::Array dims = arrayArg(cb[1], "dims");
      Shape shape;
      for (uint32_t d = 0; d < dims.Length(); ++d)
        shape.push_back(integerArg(dims.Get(d), cat("dims[", d, "]"), 0, (int64_t(1) << 53) - 1));
      context_->setInputShape(name, shape);
      return cb.Env().Undefined();
    });
  }

  Napi::Value setOptimizationProfile(const Napi::CallbackInfo& cb) {
    return guarded(cb.Env(), [&] {
      context_->setOptimizationProfile(size_t(integerArg(cb[0], "index", 0, 1 << 20)));
      return cb.Env().Undefined();
    });
  }

  Napi::Value tensorShape(const Napi::CallbackInfo& cb) {
    return guarded(cb.Env(), [&] {
      const Shape shape = context_->tensorShape(stringArg(cb[0], "name"));
      Napi::Array a = Napi::Array::New(cb.Env(), shape.size());
      for (uint32_t d = 0; d < shape.size(); ++d) a.Set(d, Napi::Number::New(cb.Env(), double(shape[d])));
      return Napi::Value(a);
    });
  }

  Napi::Value gpuMs(const Napi::CallbackInfo& cb) { return Napi::Number::New(cb.Env(), context_->gpuMs()); }

  std::shared_ptr<ExecutionContext> context_;
};

Napi::Value serializePlan(const Napi::CallbackInfo& cb) {
  return guarded(cb.Env(), [&] {
    const std::vector<uint8_t> bytes = writePlan(planFromDesc(cb[0]));
    Napi::Uint8Array out = Napi::Uint8Array::New(cb.Env(), bytes.size());
    if (!bytes.empty()) std::memcpy(out.Data(), bytes.data(), bytes.size());
    return Napi::Value(out);
  });
}

Napi::Value inspectPlan(const Napi::CallbackInfo& cb) {
  return guarded(cb.Env(), [&] {
    const Napi::Uint8Array bytes = bytesArg(cb[0], "bytes");
    return Napi::Value(engineInfo(cb.Env(), Engine::inspect(bytes.Data(), bytes.ByteLength())));
  });
}

Napi::Value cpuFeatures(const Napi::CallbackInfo& cb) {
  const std::vector<std::string> names = isaNames(hostIsaMask());
  Napi::Array a = Napi::Array::New(cb.Env(), names.size());
  for (uint32_t i = 0; i < names.size(); ++i) a.Set(i, names[i]);
  return a;
}

Napi::Value hardwareThreads(const Napi::CallbackInfo& cb) {
  return Napi::Number::New(cb.Env(), ThreadPool::hardwareThreads());
}

Napi::Value gemmKernel(const Napi::CallbackInfo& cb) { return Napi::String::New(cb.Env(), cpu::sgemmKernelName()); }

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData(data);  // freed by Node when the environment goes away
  Napi::Function engineClass = EngineWrap::define(env);
  data->engineClass = Napi::Persistent(engineClass);
  exports.Set("Engine", engineClass);
  exports.Set("Context", ContextWrap::define(env));
  exports.Set("serializePlan", Napi::Function::New(env, serializePlan, "serializePlan"));
  exports.Set("inspectPlan", Napi::Function::New(env, inspectPlan, "inspectPlan"));
  exports.Set("cpuFeatures", Napi::Function::New(env, cpuFeatures, "cpuFeatures"));
  exports.Set("hardwareThreads", Napi::Function::New(env, hardwareThreads, "hardwareThreads"));
  exports.Set("gemmKernel", Napi::Function::New(env, gemmKernel, "gemmKernel"));
  exports.Set("timeLayers", Napi::Function::New(env, timeLayers, "timeLayers"));
  exports.Set("fmaPeak", Napi::Function::New(env, fmaPeak, "fmaPeak"));
  addCudaExports(env, exports);
  return exports;
}

}  // namespace
}  // namespace kiln::js

// The registration macro wants an unqualified function name.
static Napi::Object InitKiln(Napi::Env env, Napi::Object exports) { return kiln::js::init(env, exports); }
NODE_API_MODULE(kiln, InitKiln)
