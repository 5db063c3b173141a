// See binding-plan.h. Every message names the offending field by its path in
// the desc ("desc.layers[4].ints[2]") so codegen bugs are easy to find.
#include "binding-plan.h"

#include <cstring>

#include "binding-errors.h"
#include "cpu-features.h"
#include "cuda/binding-cuda.h"
#include "plan-dynamic.h"
#include "text.h"

namespace kiln::js {
namespace {

constexpr int64_t kMaxSafe = (int64_t(1) << 53) - 1;

[[noreturn]] void invalid(const std::string& message) { throw Error(codes::kPlanInvalid, message); }

std::vector<uint32_t> indexList(const Napi::Value& v, const std::string& what) {
  const Napi::Array a = arrayArg(v, what);
  std::vector<uint32_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i)
    out[i] = uint32_t(integerArg(a.Get(i), cat(what, "[", i, "]"), 0, UINT32_MAX));
  return out;
}

TensorDesc tensorFromJs(const Napi::Value& v, const std::string& what) {
  const Napi::Object o = objectArg(v, what);
  TensorDesc t;
  t.name = stringArg(o.Get("name"), what + ".name");
  const std::string dtype = stringArg(o.Get("dtype"), what + ".dtype");
  if (!dtypeFromName(dtype, &t.dtype))
    invalid(cat(what, ".dtype ", quoted(dtype), " is not a plan dtype (known: ", dtypeNameList(), ")"));
  const Napi::Array shape = arrayArg(o.Get("shape"), what + ".shape");
  for (uint32_t i = 0; i < shape.Length(); ++i)
    t.shape.push_back(integerArg(shape.Get(i), cat(what, ".shape[", i, "]"), 0, kMaxSafe));
  const std::string location = stringArg(o.Get("location"), what + ".location");
  if (location == "arena") t.location = Location::arena;
  else if (location == "weights") t.location = Location::weights;
  else invalid(cat(what, ".location must be 'arena' or 'weights', got ", quoted(location)));
  t.offset = uint64_t(integerArg(o.Get("offset"), what + ".offset", 0, kMaxSafe));
  const Napi::Value stride = o.Get("imageStride");  // optional: absent or 0 for a dense tensor
  if (!stride.IsUndefined()) t.imageStride = uint64_t(integerArg(stride, what + ".imageStride", 0, kMaxSafe));
  return t;
}

LayerDesc layerFromJs(const Napi::Value& v, const std::string& what) {
  const Napi::Object o = objectArg(v, what);
  LayerDesc l;
  l.name = stringArg(o.Get("name"), what + ".name");
  l.kernel = stringArg(o.Get("kernel"), what + ".kernel");
  l.inputs = indexList(o.Get("inputs"), what + ".inputs");
  l.outputs = indexList(o.Get("outputs"), what + ".outputs");
  const Napi::Array ints = arrayArg(o.Get("ints"), what + ".ints");
  for (uint32_t i = 0; i < ints.Length(); ++i)
    l.ints.push_back(integerArg(ints.Get(i), cat(what, ".ints[", i, "]"), -kMaxSafe, kMaxSafe));
  const Napi::Array floats = arrayArg(o.Get("floats"), what + ".floats");
  for (uint32_t i = 0; i < floats.Length(); ++i) l.floats.push_back(numberArg(floats.Get(i), cat(what, ".floats[", i, "]")));
  const Napi::Value info = o.Get("info");
  l.info = info.IsUndefined() ? std::string() : stringArg(info, what + ".info");
  return l;
}

Napi::Array numbers(Napi::Env env, const std::vector<int64_t>& values) {
  Napi::Array a = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); ++i) a.Set(i, Napi::Number::New(env, double(values[i])));
  return a;
}

Napi::Array strings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array a = Napi::Array::New(env, values.size());
  for (uint32_t i = 0; i < values.size(); ++i) a.Set(i, Napi::String::New(env, values[i]));
  return a;
}

// IO tensors: `shape` is the planned (for dynamic tensors: the largest) shape;
// dynamic plans add `dims`, the symbolic shape ('batch', 'seq*2', 3).
Napi::Array ioInfo(Napi::Env env, const PlanModel& plan, const std::vector<uint32_t>& list) {
  Napi::Array a = Napi::Array::New(env, list.size());
  for (uint32_t i = 0; i < list.size(); ++i) {
    const TensorDesc& t = plan.tensors[list[i]];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", t.name);
    o.Set("dtype", dtypeName(t.dtype));
    o.Set("shape", numbers(env, t.shape));
    if (plan.dynamic.present) {
      const std::vector<std::string> dims = symbolicDims(plan, list[i]);
      Napi::Array d = Napi::Array::New(env, dims.size());
      for (uint32_t k = 0; k < dims.size(); ++k)
        d.Set(k, dims[k] == std::to_string(t.shape[k]) ? Napi::Value(Napi::Number::New(env, double(t.shape[k])))
                                                        : Napi::Value(Napi::String::New(env, dims[k])));
      o.Set("dims", d);
    }
    a.Set(i, o);
  }
  return a;
}

// Profiles as [{ inputs: { name: { min, opt, max } } }] (dynamic plans only).
Napi::Array profilesInfo(Napi::Env env, const PlanModel& plan) {
  Napi::Array a = Napi::Array::New(env, plan.dynamic.profiles.size());
  for (uint32_t p = 0; p < plan.dynamic.profiles.size(); ++p) {
    const ShapeProfile& prof = plan.dynamic.profiles[p];
    Napi::Object inputs = Napi::Object::New(env);
    for (uint32_t i = 0; i < plan.inputs.size(); ++i) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("min", numbers(env, prof.min[i]));
      r.Set("opt", numbers(env, prof.opt[i]));
      r.Set("max", numbers(env, prof.max[i]));
      inputs.Set(plan.tensors[plan.inputs[i]].name, r);
    }
    a.Set(p, inputs);
  }
  return a;
}

std::vector<Shape> shapeList(const Napi::Value& v, const std::string& what) {
  const Napi::Array a = arrayArg(v, what);
  std::vector<Shape> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Array dims = arrayArg(a.Get(i), cat(what, "[", i, "]"));
    for (uint32_t d = 0; d < dims.Length(); ++d)
      out[i].push_back(integerArg(dims.Get(d), cat(what, "[", i, "][", d, "]"), 0, kMaxSafe));
  }
  return out;
}

// desc.dynamic: { symbols: [{name, input, dim}], profiles: [{min, opt, max}],
// tensors: [{tensor, dims: number[][]}] } (codegen/plan-desc.ts).
DynamicSection dynamicFromJs(const Napi::Value& value, const std::string& what) {
  const Napi::Object o = objectArg(value, what);
  DynamicSection dyn;
  dyn.present = true;
  const Napi::Array symbols = arrayArg(o.Get("symbols"), what + ".symbols");
  for (uint32_t i = 0; i < symbols.Length(); ++i) {
    const std::string at = cat(what, ".symbols[", i, "]");
    const Napi::Object s = objectArg(symbols.Get(i), at);
    dyn.symbols.push_back({stringArg(s.Get("name"), at + ".name"), uint32_t(integerArg(s.Get("input"), at + ".input", 0, UINT32_MAX)),
                           uint32_t(integerArg(s.Get("dim"), at + ".dim", 0, UINT32_MAX))});
  }
  const Napi::Array profiles = arrayArg(o.Get("profiles"), what + ".profiles");
  for (uint32_t i = 0; i < profiles.Length(); ++i) {
    const std::string at = cat(what, ".profiles[", i, "]");
    const Napi::Object p = objectArg(profiles.Get(i), at);
    dyn.profiles.push_back({shapeList(p.Get("min"), at + ".min"), shapeList(p.Get("opt"), at + ".opt"), shapeList(p.Get("max"), at + ".max")});
  }
  const Napi::Array tensors = arrayArg(o.Get("tensors"), what + ".tensors");
  for (uint32_t i = 0; i < tensors.Length(); ++i) {
    const std::string at = cat(what, ".tensors[", i, "]");
    const Napi::Object t = objectArg(tensors.Get(i), at);
    DynamicTensor d;
    d.tensor = uint32_t(integerArg(t.Get("tensor"), at + ".tensor", 0, UINT32_MAX));
    const Napi::Array dims = arrayArg(t.Get("dims"), at + ".dims");
    for (uint32_t k = 0; k < dims.Length(); ++k) {
      const Napi::Array words = arrayArg(dims.Get(k), cat(at, ".dims[", k, "]"));
      DimProgram program;
      for (uint32_t w = 0; w < words.Length(); ++w)
        program.push_back(integerArg(words.Get(w), cat(at, ".dims[", k, "][", w, "]"), -kMaxSafe, kMaxSafe));
      d.dims.push_back(std::move(program));
    }
    dyn.tensors.push_back(std::move(d));
  }
  return dyn;
}

}  // namespace

PlanModel planFromDesc(const Napi::Value& value) {
  const Napi::Object desc = objectArg(value, "desc");
  PlanModel plan;
  plan.kilnVersion = stringArg(desc.Get("kilnVersion"), "desc.kilnVersion");
  const Napi::Uint8Array digest = bytesArg(desc.Get("buildDigest"), "desc.buildDigest");
  if (digest.ByteLength() != plan.buildDigest.size())
    invalid(cat("desc.buildDigest must be 32 bytes, got ", digest.ByteLength()));
  std::memcpy(plan.buildDigest.data(), digest.Data(), plan.buildDigest.size());
  const Napi::Array isa = arrayArg(desc.Get("targetIsa"), "desc.targetIsa");
  for (uint32_t i = 0; i < isa.Length(); ++i) {
    const std::string name = stringArg(isa.Get(i), cat("desc.targetIsa[", i, "]"));
    uint64_t bit = 0;
    if (!isaBitFromName(name, &bit))
      invalid(cat("desc.targetIsa[", i, "] ", quoted(name), " is not a known CPU feature (known: ", knownIsaNameList(), ")"));
    plan.isaMask |= bit;
  }
  plan.arenaBytes = uint64_t(integerArg(desc.Get("arenaBytes"), "desc.arenaBytes", 0, kMaxSafe));
  const Napi::Uint8Array weights = bytesArg(desc.Get("weights"), "desc.weights");
  plan.weights = {weights.Data(), weights.ByteLength()};
  const Napi::Array tensors = arrayArg(desc.Get("tensors"), "desc.tensors");
  for (uint32_t i = 0; i < tensors.Length(); ++i) plan.tensors.push_back(tensorFromJs(tensors.Get(i), cat("desc.tensors[", i, "]")));
  plan.inputs = indexList(desc.Get("inputs"), "desc.inputs");
  plan.outputs = indexList(desc.Get("outputs"), "desc.outputs");
  const Napi::Array layers = arrayArg(desc.Get("layers"), "desc.layers");
  for (uint32_t i = 0; i < layers.Length(); ++i) plan.layers.push_back(layerFromJs(layers.Get(i), cat("desc.layers[", i, "]")));
  const Napi::Value cuda = desc.Get("cuda");
  if (!cuda.IsUndefined()) plan.cuda = cudaSectionFromJs(cuda, "desc.cuda");
  const Napi::Value dynamic = desc.Get("dynamic");
  if (!dynamic.IsUndefined()) plan.dynamic = dynamicFromJs(dynamic, "desc.dynamic");
  return plan;
}

Napi::Object engineInfo(Napi::Env env, const PlanModel& plan) {
  static const char kHex[] = "0123456789abcdef";
  std::string digest;
  for (uint8_t b : plan.buildDigest) digest += {kHex[b >> 4], kHex[b & 15]};
  Napi::Object info = Napi::Object::New(env);
  info.Set("formatVersion", Napi::Number::New(env, plan.formatVersion));
  info.Set("kilnVersion", plan.kilnVersion);
  info.Set("targetIsa", strings(env, isaNames(plan.isaMask)));
  info.Set("target", targetName(plan));
  info.Set("cuda", cudaSectionInfo(env, plan));
  info.Set("buildDigest", digest);
  info.Set("arenaBytes", Napi::Number::New(env, double(plan.arenaBytes)));
  info.Set("weightsBytes", Napi::Number::New(env, double(plan.weights.size)));
  info.Set("inputs", ioInfo(env, plan, plan.inputs));
  info.Set("outputs", ioInfo(env, plan, plan.outputs));
  if (plan.dynamic.present) info.Set("profiles", profilesInfo(env, plan));
  Napi::Array layers = Napi::Array::New(env, plan.layers.size());
  for (uint32_t i = 0; i < plan.layers.size(); ++i) {
    const LayerDesc& l = plan.layers[i];
    std::vector<std::string> ins, outs;
    for (uint32_t t : l.inputs) ins.push_back(plan.tensors[t].name);
    for (uint32_t t : l.outputs) outs.push_back(plan.tensors[t].name);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", l.name);
    o.Set("kernel", l.kernel);
    o.Set("inputs", strings(env, ins));
    o.Set("outputs", strings(env, outs));
    o.Set("ints", numbers(env, l.ints));
    Napi::Array floats = Napi::Array::New(env, l.floats.size());
    for (uint32_t k = 0; k < l.floats.size(); ++k) floats.Set(k, Napi::Number::New(env, l.floats[k]));
    o.Set("floats", floats);
    o.Set("info", l.info);
    layers.Set(i, o);
  }
  info.Set("layers", layers);
  return info;
}

}  // namespace kiln::js
