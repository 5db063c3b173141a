// See binding-cuda.h.
#include "binding-cuda.h"

#include <cstring>

#include "../binding-errors.h"
#include "../text.h"
#include "cublaslt.h"
#include "cuda-driver.h"
#include "../engine.h"
#include "cuda-errors.h"
#include "cuda-runner.h"
#include "nvrtc.h"

namespace kiln::js {
namespace {

void triple(const Napi::Value& v, const std::string& what, uint32_t out[3]) {
  const Napi::Array a = arrayArg(v, what);
  if (a.Length() != 3) argumentError(what, "an array of 3 integers", v);
  for (uint32_t i = 0; i < 3; ++i) out[i] = uint32_t(integerArg(a.Get(i), cat(what, "[", i, "]"), 1, 0x7fffffff));
}

Napi::Value cudaDevices(const Napi::CallbackInfo& cb) {
  Napi::Env env = cb.Env();
  Napi::Object out = Napi::Object::New(env);
  Napi::Array list = Napi::Array::New(env);
  out.Set("devices", list);
  std::string why;
  const cuda::Driver* d = cuda::driver(&why);
  out.Set("available", Napi::Boolean::New(env, d != nullptr));
  if (!d) {
    out.Set("reason", why);
    return out;
  }
  return guarded(env, [&] {
    int version = 0;
    KILN_CU(d->cuDriverGetVersion(&version));
    out.Set("driverVersion", cat(version / 1000, ".", version % 1000 / 10));
    const int n = cuda::deviceCount();
    for (int i = 0; i < n; ++i) {
      const cuda::DeviceInfo info = cuda::deviceInfo(i);
      Napi::Object o = Napi::Object::New(env);
      o.Set("index", Napi::Number::New(env, i));
      o.Set("name", info.name);
      o.Set("arch", Napi::Number::New(env, info.ccMajor * 10 + info.ccMinor));
      o.Set("computeCapability", cat(info.ccMajor, ".", info.ccMinor));
      o.Set("multiprocessors", Napi::Number::New(env, info.multiprocessors));
      o.Set("totalMemory", Napi::Number::New(env, double(info.totalMemory)));
      list.Set(uint32_t(i), o);
    }
    return Napi::Value(out);
  });
}

// {available, version} or {available: false, reason}: what nvrtcInfo and cublasLtInfo answer.
Napi::Value libraryInfo(Napi::Env env, bool (*available)(std::string*), std::string (*version)()) {
  Napi::Object out = Napi::Object::New(env);
  std::string why;
  const bool ok = available(&why);
  out.Set("available", Napi::Boolean::New(env, ok));
  if (ok) out.Set("version", version());
  else out.Set("reason", why);
  return out;
}

Napi::Value nvrtcInfo(const Napi::CallbackInfo& cb) { return libraryInfo(cb.Env(), cuda::nvrtcAvailable, cuda::nvrtcVersion); }

Napi::Value cublasLtInfo(const Napi::CallbackInfo& cb) { return libraryInfo(cb.Env(), cuda::cublasLtAvailable, cuda::cublasLtVersion); }

// The names a cuBLASLt record's enums have in JS (desc and info alike).
const char* const kLtTypes[] = {"f32", "f16", "bf16"};
const char* const kLtEpilogues[] = {"none", "bias", "relu", "reluBias"};

template <size_t N>
uint32_t namedArg(const Napi::Value& v, const std::string& what, const char* const (&names)[N]) {
  const std::string s = stringArg(v, what);
  for (size_t i = 0; i < N; ++i)
    if (s == names[i]) return uint32_t(i);
  std::vector<std::string> all(names, names + N);
  argumentError(what, cat("one of ", joined(all, ", ")), v);
}

cuda::CublasLtCall cublasLtFromJs(const Napi::Value& value, const std::string& what) {
  const Napi::Object o = objectArg(value, what);
  cuda::CublasLtCall x;
  auto u32 = [&](const char* key, int64_t lo, int64_t hi) { return uint32_t(integerArg(o.Get(key), cat(what, ".", key), lo, hi)); };
  auto u64 = [&](const char* key) { return uint64_t(integerArg(o.Get(key), cat(what, ".", key), 0, int64_t(1) << 52)); };
  auto tensor = [&](const char* key) { return o.Get(key).IsUndefined() ? cuda::kNoTensor : u32(key, 0, UINT32_MAX - 1); };
  x.typeAB = cuda::LtType(namedArg(o.Get("typeAB"), what + ".typeAB", kLtTypes));
  x.typeCD = cuda::LtType(namedArg(o.Get("typeCD"), what + ".typeCD", kLtTypes));
  x.transA = u32("transA", 0, 1);
  x.transB = u32("transB", 0, 1);
  x.m = u32("m", 1, UINT32_MAX);
  x.n = u32("n", 1, UINT32_MAX);
  x.k = u32("k", 1, UINT32_MAX);
  x.lda = u32("lda", 1, UINT32_MAX);
  x.ldb = u32("ldb", 1, UINT32_MAX);
  x.ldc = u32("ldc", 1, UINT32_MAX);
  x.batch = u32("batch", 1, 65535);
  x.strideA = u64("strideA");
  x.strideB = u64("strideB");
  x.strideC = u64("strideC");
  x.epilogue = cuda::LtEpilogue(namedArg(o.Get("epilogue"), what + ".epilogue", kLtEpilogues));
  x.beta = u32("beta", 0, 1);
  x.a = tensor("a");
  x.b = tensor("b");
  x.c = tensor("c");
  x.d = tensor("d");
  x.bias = tensor("bias");
  return x;
}

Napi::Object cublasLtToJs(Napi::Env env, const cuda::CublasLtCall& x) {
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* key, double v) { o.Set(key, Napi::Number::New(env, v)); };
  o.Set("typeAB", kLtTypes[uint32_t(x.typeAB)]);
  o.Set("typeCD", kLtTypes[uint32_t(x.typeCD)]);
  num("transA", x.transA);
  num("transB", x.transB);
  num("m", x.m);
  num("n", x.n);
  num("k", x.k);
  num("lda", x.lda);
  num("ldb", x.ldb);
  num("ldc", x.ldc);
  num("batch", x.batch);
  num("strideA", double(x.strideA));
  num("strideB", double(x.strideB));
  num("strideC", double(x.strideC));
  o.Set("epilogue", kLtEpilogues[uint32_t(x.epilogue)]);
  num("beta", x.beta);
  const std::pair<const char*, uint32_t> tensors[] = {{"a", x.a}, {"b", x.b}, {"c", x.c}, {"d", x.d}, {"bias", x.bias}};
  for (const auto& [key, t] : tensors)
    if (t != cuda::kNoTensor) num(key, t);
  return o;
}

Napi::Value cudaCompile(const Napi::CallbackInfo& cb) {
  return guarded(cb.Env(), [&] {
    const std::string source = stringArg(cb[0], "source");
    const int arch = int(integerArg(cb[1], "arch", 30, 1000));
    const std::string name = stringArg(cb[2], "name");
    std::vector<std::string> options;
    if (!cb[3].IsUndefined()) {
      const Napi::Array a = arrayArg(cb[3], "options");
      for (uint32_t i = 0; i < a.Length(); ++i) options.push_back(stringArg(a.Get(i), cat("options[", i, "]")));
    }
    const cuda::CompileResult r = cuda::compileCubin(source, name, arch, options);
    Napi::Uint8Array cubin = Napi::Uint8Array::New(cb.Env(), r.cubin.size());
    if (!r.cubin.empty()) std::memcpy(cubin.Data(), r.cubin.data(), r.cubin.size());
    Napi::Object out = Napi::Object::New(cb.Env());
    out.Set("cubin", cubin);
    out.Set("log", r.log);
    return Napi::Value(out);
  });
}

Napi::Value cudaTimeLaunches(const Napi::CallbackInfo& cb) {
  return guarded(cb.Env(), [&] {
    const Napi::Uint8Array bytes = bytesArg(cb[0], "plan");
    const int repeats = int(integerArg(cb[1], "repeats", 1, 100000));
    const std::shared_ptr<const Engine> engine = Engine::load(bytes.Data(), bytes.ByteLength());
    if (!engine->cuda()) throw Error(codes::kPlanTarget, "cudaTimeLaunches needs a plan built for a CUDA GPU; this one is for the CPU");
    cuda::CudaRunner runner(*engine->cuda(), engine->plan());
    const std::vector<double> ms = runner.profileLaunches(repeats);
    Napi::Array out = Napi::Array::New(cb.Env(), ms.size());
    for (uint32_t i = 0; i < ms.size(); ++i) out.Set(i, Napi::Number::New(cb.Env(), ms[i]));
    return Napi::Value(out);
  });
}

}  // namespace

cuda::CudaSection cudaSectionFromJs(const Napi::Value& value, const std::string& what) {
  const Napi::Object o = objectArg(value, what);
  cuda::CudaSection s;
  s.present = true;
  s.arch = uint32_t(integerArg(o.Get("arch"), what + ".arch", 0, 100000));
  s.compiler = stringArg(o.Get("compiler"), what + ".compiler");
  const Napi::Uint8Array cubin = bytesArg(o.Get("cubin"), what + ".cubin");
  s.cubin = cubin.Data();
  s.cubinBytes = cubin.ByteLength();
  const Napi::Array launches = arrayArg(o.Get("launches"), what + ".launches");
  for (uint32_t i = 0; i < launches.Length(); ++i) {
    const std::string at = cat(what, ".launches[", i, "]");
    const Napi::Object l = objectArg(launches.Get(i), at);
    cuda::CudaLaunch x;
    x.layer = uint32_t(integerArg(l.Get("layer"), at + ".layer", 0, UINT32_MAX));
    x.function = stringArg(l.Get("function"), at + ".function");
    triple(l.Get("grid"), at + ".grid", x.grid);
    triple(l.Get("block"), at + ".block", x.block);
    x.sharedBytes = uint32_t(integerArg(l.Get("sharedBytes"), at + ".sharedBytes", 0, UINT32_MAX));
    if (!l.Get("cublasLt").IsUndefined()) {
      // A library call: its tensors are the record's, whatever `args` says.
      x.kind = cuda::LaunchKind::cublasLt;
      x.lt = cublasLtFromJs(l.Get("cublasLt"), at + ".cublasLt");
      x.args = cuda::cublasLtArgs(x.lt);
      s.launches.push_back(std::move(x));
      continue;
    }
    const Napi::Array args = arrayArg(l.Get("args"), at + ".args");
    for (uint32_t k = 0; k < args.Length(); ++k)
      x.args.push_back(uint32_t(integerArg(args.Get(k), cat(at, ".args[", k, "]"), 0, UINT32_MAX)));
    s.launches.push_back(std::move(x));
  }
  return s;
}

std::string targetName(const PlanModel& plan) {
  return plan.cuda.present ? cat("cuda ", cuda::archName(plan.cuda.arch)) : std::string("cpu");
}

Napi::Value cudaSectionInfo(Napi::Env env, const PlanModel& plan) {
  if (!plan.cuda.present) return env.Undefined();
  Napi::Object o = Napi::Object::New(env);
  o.Set("arch", Napi::Number::New(env, plan.cuda.arch));
  o.Set("compiler", plan.cuda.compiler);
  o.Set("cubinBytes", Napi::Number::New(env, double(plan.cuda.cubinBytes)));
  Napi::Array launches = Napi::Array::New(env, plan.cuda.launches.size());
  for (uint32_t i = 0; i < plan.cuda.launches.size(); ++i) {
    const cuda::CudaLaunch& l = plan.cuda.launches[i];
    Napi::Object x = Napi::Object::New(env);
    x.Set("layer", plan.layers[l.layer].name);
    x.Set("function", l.function);
    x.Set("grid", cat(l.grid[0], "x", l.grid[1], "x", l.grid[2]));
    x.Set("block", cat(l.block[0], "x", l.block[1], "x", l.block[2]));
    if (l.kind == cuda::LaunchKind::cublasLt) x.Set("cublasLt", cublasLtToJs(env, l.lt));
    launches.Set(i, x);
  }
  o.Set("launches", launches);
  return o;
}

void addCudaExports(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaDevices", Napi::Function::New(env, cudaDevices, "cudaDevices"));
  exports.Set("nvrtcInfo", Napi::Function::New(env, nvrtcInfo, "nvrtcInfo"));
  exports.Set("cublasLtInfo", Napi::Function::New(env, cublasLtInfo, "cublasLtInfo"));
  exports.Set("cudaCompile", Napi::Function::New(env, cudaCompile, "cudaCompile"));
  exports.Set("cudaTimeLaunches", Napi::Function::New(env, cudaTimeLaunches, "cudaTimeLaunches"));
}

}  // namespace kiln::js
