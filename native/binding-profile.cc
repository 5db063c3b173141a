// See binding-profile.h. Input handling is run()'s (binding-run.h), so a
// profile sees exactly the checks and copies a run does.
#include "binding-profile.h"

#include <atomic>
#include <chrono>

#include "binding-errors.h"
#include "cpu/vec-kernels.h"
#include "binding-plan.h"
#include "binding-run.h"
#include "layer-profiler.h"
#include "plan-writer.h"
#include "text.h"

namespace kiln::js {
namespace {

unsigned optionalCount(const Napi::Object& o, const char* key, unsigned fallback, int64_t lo, int64_t hi,
                       const std::string& what) {
  const Napi::Value v = o.Get(key);
  return v.IsUndefined() ? fallback : unsigned(integerArg(v, cat(what, ".", key), lo, hi));
}

Napi::Object optionsObject(const Napi::Value& v, const std::string& what) {
  return v.IsUndefined() ? Napi::Object::New(v.Env()) : objectArg(v, what);
}

class ProfileWorker final : public Napi::AsyncWorker {
 public:
  ProfileWorker(Napi::Env env, Napi::Promise::Deferred deferred, std::unique_ptr<RunLease> lease,
                OwnedInputs inputs, ProfileOptions options)
      : Napi::AsyncWorker(env, "kiln.profile"), deferred_(deferred), lease_(std::move(lease)),
        inputs_(std::move(inputs)), options_(options) {}

  void Execute() override {
    try {
      profile_ = profileLayers(lease_->context(), inputs_, options_);
    } catch (...) {
      error_ = std::current_exception();
      SetError("kiln profile failed");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    const PlanModel& plan = lease_->context().engine().plan();
    Napi::Array layers = Napi::Array::New(env, plan.layers.size());
    for (uint32_t i = 0; i < plan.layers.size(); ++i) {
      Napi::Object l = Napi::Object::New(env);
      l.Set("name", plan.layers[i].name);
      l.Set("kernel", plan.layers[i].kernel);
      l.Set("medianMs", profile_.medianMs[i]);
      l.Set("meanMs", profile_.meanMs[i]);
      layers.Set(i, l);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("layers", layers);
    out.Set("runMs", profile_.runMedianMs);
    out.Set("iterations", profile_.iterations);
    lease_.reset();
    deferred_.Resolve(out);
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
  OwnedInputs inputs_;
  ProfileOptions options_;
  LayerProfile profile_;
  std::exception_ptr error_;
};

}  // namespace

Napi::Value profileAsync(Napi::Env env, const std::shared_ptr<ExecutionContext>& context, const Napi::Value& inputs,
                         const Napi::Value& options) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  try {
    const Napi::Object o = optionsObject(options, "options");
    ProfileOptions p;
    p.warmup = optionalCount(o, "warmup", 1, 0, 1000000, "options");
    p.minIterations = p.maxIterations = optionalCount(o, "iterations", 20, 1, 1000000, "options");
    if (context->engine().cuda())
      throw Error(codes::kArgument, "profile() times CPU layers; this is a CUDA plan (see context.lastGpuMs)");
    if (!context->tryBegin())
      throw Error(codes::kBusy, "this context is already running an inference; await it or use another context");
    auto lease = std::make_unique<RunLease>(context);
    // Checked here, so bad inputs reject before any work is queued; copied,
    // because every profiled run needs them again.
    OwnedInputs owned = copyInputs(parseInputs(inputs));
    context->setInputs(owned.inputs);
    (new ProfileWorker(env, deferred, std::move(lease), std::move(owned), p))->Queue();
  } catch (...) {
    deferred.Reject(toJsError(env, std::current_exception()).Value());
  }
  return deferred.Promise();
}

Napi::Value timeLayers(const Napi::CallbackInfo& cb) {
  return guarded(cb.Env(), [&] {
    const Napi::Object o = optionsObject(cb[1], "options");
    const unsigned threads = optionalCount(o, "threads", 0, 0, 1024, "options");
    ProfileOptions p;
    p.warmup = optionalCount(o, "warmup", 1, 0, 1000000, "options");
    p.minIterations = optionalCount(o, "minIterations", 3, 1, 1000000, "options");
    p.maxIterations = optionalCount(o, "maxIterations", 50, 1, 1000000, "options");
    const Napi::Value budget = o.Get("budgetMs");
    p.budgetMs = budget.IsUndefined() ? 20.0 : numberArg(budget, "options.budgetMs");
    const std::vector<uint8_t> bytes = writePlan(planFromDesc(cb[0]));
    auto engine = Engine::load(bytes.data(), bytes.size());
    auto context = std::make_shared<ExecutionContext>(engine, threads);
    const LayerProfile profile = profileLayers(*context, syntheticInputs(engine->plan()), p);
    Napi::Object out = Napi::Object::New(cb.Env());
    Napi::Array medians = Napi::Array::New(cb.Env(), profile.medianMs.size());
    Napi::Array mins = Napi::Array::New(cb.Env(), profile.minMs.size());
    for (uint32_t i = 0; i < profile.medianMs.size(); ++i) {
      medians.Set(i, profile.medianMs[i]);
      mins.Set(i, profile.minMs[i]);
    }
    out.Set("medianMs", medians);
    out.Set("minMs", mins);
    out.Set("iterations", profile.iterations);
    return Napi::Value(out);
  });
}

Napi::Value fmaPeak(const Napi::CallbackInfo& cb) {
  return guarded(cb.Env(), [&] {
    const unsigned threads =
        cb[0].IsUndefined() ? ThreadPool::hardwareThreads() : unsigned(integerArg(cb[0], "threads", 1, 1024));
    ThreadPool pool(threads);
    constexpr long kIters = 1 << 19;  // ~100 MFLOP per thread per round
    std::atomic<float> sink{0.f};
    double best = 1e300;
    for (int round = 0; round < 15; ++round) {
      const auto t0 = std::chrono::steady_clock::now();
      pool.parallelFor(threads, [&](size_t i) {
        sink.store(cpu::vecKernels().fmaLoop(kIters, 1.f + float(round * 16 + int(i)) * 1e-3f), std::memory_order_relaxed);
      });
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    Napi::Object out = Napi::Object::New(cb.Env());
    out.Set("gflops", double(threads) * double(kIters) * 192.0 / best / 1e9);
    out.Set("threads", threads);
    out.Set("isa", cpu::vecKernels().isa);
    out.Set("sink", double(sink.load()));
    return Napi::Value(out);
  });
}

}  // namespace kiln::js
