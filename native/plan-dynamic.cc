// See plan-dynamic.h.
#include "plan-dynamic.h"

#include <unordered_set>

#include "error.h"
#include "plan-limits.h"
#include "text.h"

namespace kiln {
namespace {

[[noreturn]] void inputError(const std::string& message) { throw Error(codes::kInput, message); }

// Index into dynamic.tensors of tensor t, or -1.
int dynamicIndex(const PlanModel& plan, uint32_t t) {
  for (size_t i = 0; i < plan.dynamic.tensors.size(); ++i)
    if (plan.dynamic.tensors[i].tensor == t) return int(i);
  return -1;
}

std::vector<std::string> symbolNames(const PlanModel& plan) {
  std::vector<std::string> names;
  for (const ShapeSymbol& s : plan.dynamic.symbols) names.push_back(s.name);
  return names;
}

bool isBareSymbol(const DimProgram& p, int64_t symbol) { return p.size() == 2 && p[0] == kDimSymbol && p[1] == symbol; }

class DynamicValidator {
 public:
  DynamicValidator(const PlanModel& plan, const char* code) : plan_(plan), dyn_(plan.dynamic), code_(code) {}

  void run() {
    if (!dyn_.present) return;
    if (plan_.cuda.present) fail("a plan with dynamic shapes cannot have a CUDA section");
    if (dyn_.symbols.empty()) fail("the dynamic shape section has no symbols");
    if (dyn_.profiles.empty()) fail("the dynamic shape section has no optimization profile");
    if (dyn_.profiles.size() > limits::kMaxProfiles) fail(cat("plan has too many optimization profiles (", dyn_.profiles.size(), ")"));
    checkTensors();
    checkSymbols();
    for (size_t p = 0; p < dyn_.profiles.size(); ++p) checkProfile(p);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw Error(code_, message); }

  void checkTensors() {
    std::unordered_set<uint32_t> seen;
    for (const DynamicTensor& t : dyn_.tensors) {
      if (t.tensor >= plan_.tensors.size()) fail(cat("dynamic tensor index ", t.tensor, " is out of range"));
      const TensorDesc& d = plan_.tensors[t.tensor];
      if (!seen.insert(t.tensor).second) fail(cat("tensor ", quoted(d.name), " has two dynamic shapes"));
      if (d.location != Location::arena) fail(cat("tensor ", quoted(d.name), " is a weight and cannot have a dynamic shape"));
      // A view's image stride is a fixed count of elements: dynamic plans keep concat as a copy.
      if (d.imageStride != 0)
        fail(cat("tensor ", quoted(d.name), " is a strided view (image stride ", d.imageStride,
                 " elements) and cannot have a dynamic shape"));
      if (t.dims.size() != d.shape.size())
        fail(cat("tensor ", quoted(d.name), " has rank ", d.shape.size(), " but ", t.dims.size(), " dim programs"));
      for (size_t i = 0; i < t.dims.size(); ++i) {
        const std::string why = checkDimProgram(t.dims[i], dyn_.symbols.size());
        if (!why.empty()) fail(cat("tensor ", quoted(d.name), " dim ", i, ": its dim program ", why));
      }
    }
  }

  void checkSymbols() {
    std::unordered_set<std::string> names;
    for (size_t s = 0; s < dyn_.symbols.size(); ++s) {
      const ShapeSymbol& sym = dyn_.symbols[s];
      if (sym.name.empty()) fail(cat("shape symbol ", s, " has an empty name"));
      if (!names.insert(sym.name).second) fail(cat("shape symbol ", quoted(sym.name), " is listed twice"));
      if (sym.input >= plan_.inputs.size()) fail(cat("shape symbol ", quoted(sym.name), " refers to input ", sym.input));
      const uint32_t t = plan_.inputs[sym.input];
      const int d = dynamicIndex(plan_, t);
      if (sym.dim >= plan_.tensors[t].shape.size() || d < 0 || !isBareSymbol(dyn_.tensors[size_t(d)].dims[sym.dim], int64_t(s)))
        fail(cat("shape symbol ", quoted(sym.name), " is read from input ", quoted(plan_.tensors[t].name), " dim ", sym.dim,
                 ", which is not that symbol"));
    }
  }

  void checkProfile(size_t p) {
    const ShapeProfile& prof = dyn_.profiles[p];
    if (prof.min.size() != plan_.inputs.size() || prof.opt.size() != plan_.inputs.size() || prof.max.size() != plan_.inputs.size())
      fail(cat("optimization profile ", p, " does not cover every input"));
    for (size_t i = 0; i < plan_.inputs.size(); ++i) {
      const TensorDesc& t = plan_.tensors[plan_.inputs[i]];
      for (const std::vector<Shape>* list : {&prof.min, &prof.opt, &prof.max})
        if ((*list)[i].size() != t.shape.size())
          fail(cat("optimization profile ", p, " gives input ", quoted(t.name), " rank ", (*list)[i].size(), ", the input has rank ", t.shape.size()));
      for (size_t d = 0; d < t.shape.size(); ++d) {
        const int64_t lo = prof.min[i][d], mid = prof.opt[i][d], hi = prof.max[i][d];
        const std::string where = cat("optimization profile ", p, " input ", quoted(t.name), " dim ", d);
        if (!(1 <= lo && lo <= mid && mid <= hi)) fail(cat(where, " needs 1 <= min <= opt <= max, got ", lo, ", ", mid, ", ", hi));
        if (hi > t.shape[d]) fail(cat(where, ": max ", hi, " exceeds the planned capacity ", t.shape[d]));
        // A dim without symbols (a static input, or a constant program) has one size.
        const int di = dynamicIndex(plan_, plan_.inputs[i]);
        const DimProgram* program = di < 0 ? nullptr : &dyn_.tensors[size_t(di)].dims[d];
        const bool fixed = !program || (program->size() == 2 && (*program)[0] == kDimConst);
        const int64_t size = program ? (fixed ? (*program)[1] : 0) : t.shape[d];
        if (fixed && (lo != size || hi != size)) fail(cat(where, " is fixed at ", size, " but has range ", lo, "..", hi));
      }
    }
    // At each profile's bounds every tensor must fit the arena slot it was planned for.
    for (const std::vector<Shape>* bound : {&prof.min, &prof.opt, &prof.max}) {
      try {
        resolveTensors(plan_, bindSymbols(plan_, *bound));
      } catch (const Error& e) {
        fail(cat("optimization profile ", p, ": ", e.what()));
      }
    }
  }

  const PlanModel& plan_;
  const DynamicSection& dyn_;
  const char* code_;
};

}  // namespace

void validateDynamicSection(const PlanModel& plan, const char* errorCode) { DynamicValidator(plan, errorCode).run(); }

std::vector<std::string> symbolicDims(const PlanModel& plan, uint32_t tensor) {
  const TensorDesc& t = plan.tensors[tensor];
  const int d = plan.dynamic.present ? dynamicIndex(plan, tensor) : -1;
  std::vector<std::string> dims;
  for (size_t i = 0; i < t.shape.size(); ++i)
    dims.push_back(d < 0 ? std::to_string(t.shape[i]) : formatDimProgram(plan.dynamic.tensors[size_t(d)].dims[i], symbolNames(plan)));
  return dims;
}

std::string symbolicShape(const PlanModel& plan, uint32_t tensor) { return cat("[", joined(symbolicDims(plan, tensor), ","), "]"); }

std::string bindingText(const PlanModel& plan, const std::vector<int64_t>& binding) {
  std::vector<std::string> parts;
  for (size_t s = 0; s < binding.size(); ++s) parts.push_back(cat(plan.dynamic.symbols[s].name, "=", binding[s]));
  return joined(parts, " ");
}

void checkInputShape(const PlanModel& plan, size_t profile, size_t input, const Shape& dims) {
  const TensorDesc& t = plan.tensors[plan.inputs[input]];
  // Messages are built only on failure: this runs before every run of a dynamic plan.
  auto label = [&] { return cat("input ", quoted(t.name), " ", symbolicShape(plan, plan.inputs[input])); };
  if (dims.size() != t.shape.size())
    inputError(cat(label(), " has rank ", t.shape.size(), ", received shape ", listString(dims), " of rank ", dims.size()));
  if (!plan.dynamic.present) {
    if (dims != t.shape) inputError(cat(label(), ": the engine is static, received shape ", listString(dims)));
    return;
  }
  const ShapeProfile& p = plan.dynamic.profiles[profile];
  for (size_t d = 0; d < dims.size(); ++d) {
    const int64_t lo = p.min[input][d], hi = p.max[input][d];
    if (dims[d] >= lo && dims[d] <= hi) continue;
    const std::string sym = symbolicDims(plan, plan.inputs[input])[d];
    const std::string dim = cat(label(), " dim ", d, sym == std::to_string(t.shape[d]) ? "" : cat(" (", sym, ")"));
    const std::string bounds = cat(" (min ", listString(p.min[input]), ", opt ", listString(p.opt[input]), ", max ",
                                   listString(p.max[input]), "); received ", listString(dims));
    if (lo == hi) inputError(cat(dim, " is ", dims[d], ", but optimization profile ", profile, " fixes it at ", lo, bounds));
    const std::string side = dims[d] < lo ? cat("below the minimum ", lo) : cat("above the maximum ", hi);
    inputError(cat(dim, " is ", dims[d], ", ", side, " of optimization profile ", profile, bounds));
  }
}

std::vector<int64_t> bindSymbols(const PlanModel& plan, const std::vector<Shape>& inputShapes) {
  const DynamicSection& dyn = plan.dynamic;
  std::vector<int64_t> binding(dyn.symbols.size());
  for (size_t s = 0; s < dyn.symbols.size(); ++s) binding[s] = inputShapes[dyn.symbols[s].input][dyn.symbols[s].dim];
  for (size_t i = 0; i < plan.inputs.size(); ++i) {
    const int d = dynamicIndex(plan, plan.inputs[i]);
    if (d < 0) continue;
    const DynamicTensor& t = dyn.tensors[size_t(d)];
    for (size_t k = 0; k < t.dims.size(); ++k) {
      int64_t want = 0;
      std::string why;
      if (!evalDimProgram(t.dims[k], binding, &want, &why))
        inputError(cat("input ", quoted(plan.tensors[t.tensor].name), " dim ", k, ": its shape expression ", why, " at ", bindingText(plan, binding)));
      if (want == inputShapes[i][k]) continue;
      const std::string expr = formatDimProgram(t.dims[k], symbolNames(plan));
      std::string source;
      if (t.dims[k].size() == 2 && t.dims[k][0] == kDimSymbol) {
        const ShapeSymbol& s = dyn.symbols[size_t(t.dims[k][1])];
        source = cat(", but input ", quoted(plan.tensors[plan.inputs[s.input]].name), " dim ", s.dim, " sets ", s.name, " = ", want);
      } else {
        source = cat(", but ", expr, " = ", want, " at ", bindingText(plan, binding));
      }
      inputError(cat("input ", quoted(plan.tensors[t.tensor].name), " dim ", k, " (", expr, ") is ", inputShapes[i][k], source));
    }
  }
  return binding;
}

std::vector<TensorDesc> resolveTensors(const PlanModel& plan, const std::vector<int64_t>& binding) {
  std::vector<TensorDesc> tensors = plan.tensors;
  for (const DynamicTensor& t : plan.dynamic.tensors) {
    TensorDesc& desc = tensors[t.tensor];
    uint64_t count = 1;
    for (size_t k = 0; k < t.dims.size(); ++k) {
      std::string why;
      int64_t v = 0;
      if (!evalDimProgram(t.dims[k], binding, &v, &why))
        inputError(cat("tensor ", quoted(desc.name), " dim ", k, ": its shape expression ", why, " at ", bindingText(plan, binding)));
      if (v < 1)
        inputError(cat("tensor ", quoted(desc.name), " ", symbolicShape(plan, t.tensor), " dim ", k, " would be ", v,
                       " at ", bindingText(plan, binding), "; every dim must be >= 1"));
      desc.shape[k] = v;
      count = count > limits::kMaxElements / uint64_t(v) ? limits::kMaxElements + 1 : count * uint64_t(v);
    }
    if (count > elementCount(plan.tensors[t.tensor].shape))
      inputError(cat("tensor ", quoted(desc.name), " ", symbolicShape(plan, t.tensor), " would be ", listString(desc.shape),
                     " at ", bindingText(plan, binding), ", larger than the ", listString(plan.tensors[t.tensor].shape),
                     " the arena was planned for"));
  }
  return tensors;
}

}  // namespace kiln
