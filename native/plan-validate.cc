// See plan-validate.h. Messages name tensors and layers by their plan names,
// because that is what a user can find in their model.
#include "plan-validate.h"

#include <cstdint>
#include <unordered_set>

#include "error.h"
#include "plan-limits.h"
#include "plan-view.h"
#include "text.h"

namespace kiln {
namespace {

class Validator {
 public:
  Validator(const PlanModel& plan, const char* code) : plan_(plan), code_(code) {}

  void run() {
    if (plan_.kilnVersion.size() > limits::kMaxVersionBytes)
      fail(cat("kiln version string is ", plan_.kilnVersion.size(), " bytes; the limit is ", limits::kMaxVersionBytes));
    if (plan_.arenaBytes > limits::kMaxArenaBytes)
      fail(cat("arena of ", plan_.arenaBytes, " bytes exceeds the limit of ", limits::kMaxArenaBytes));
    if (plan_.weights.size > limits::kMaxWeightsBytes)
      fail(cat("weight blob of ", plan_.weights.size, " bytes exceeds the limit of ", limits::kMaxWeightsBytes));
    if (plan_.tensors.size() > limits::kMaxTensors) fail(cat("plan has too many tensors (", plan_.tensors.size(), ")"));
    if (plan_.layers.size() > limits::kMaxLayers) fail(cat("plan has too many layers (", plan_.layers.size(), ")"));
    checkTensors();
    checkGraphIo();
    for (size_t i = 0; i < plan_.layers.size(); ++i) checkLayerOperands(i);
    checkDataFlow();
  }

 private:
  [[noreturn]] void fail(const std::string& message) const { throw Error(code_, message); }

  std::string tensorLabel(uint32_t t) const { return quoted(plan_.tensors[t].name); }
  std::string layerLabel(size_t l) const { return cat("layer ", quoted(plan_.layers[l].name)); }

  void checkTensors() {
    std::unordered_set<std::string> names;
    for (size_t i = 0; i < plan_.tensors.size(); ++i) {
      const TensorDesc& t = plan_.tensors[i];
      if (t.name.empty()) fail(cat("tensor ", i, " has an empty name"));
      if (!names.insert(t.name).second) fail(cat("tensor name ", quoted(t.name), " is used twice"));
      if (t.shape.size() > limits::kMaxRank)
        fail(cat("tensor ", quoted(t.name), " has rank ", t.shape.size(), "; the limit is ", limits::kMaxRank));
      uint64_t n = 1;
      for (int64_t d : t.shape) {
        if (d < 1) fail(cat("tensor ", quoted(t.name), " has shape ", listString(t.shape), ": every dim must be >= 1"));
        n *= static_cast<uint64_t>(d);
        if (n > limits::kMaxElements)
          fail(cat("tensor ", quoted(t.name), " has shape ", listString(t.shape), ": too many elements"));
      }
      const uint64_t bytes = n * dtypeSize(t.dtype);
      if (t.offset % dtypeSize(t.dtype) != 0)
        fail(cat("tensor ", quoted(t.name), " offset ", t.offset, " is not a multiple of its element size ",
                 dtypeSize(t.dtype)));
      const bool inArena = t.location == Location::arena;
      const uint64_t limit = inArena ? plan_.arenaBytes : plan_.weights.size;
      if (isStrided(t)) checkView(t, limit);
      if (t.offset > limit || bytes > limit - t.offset)
        fail(cat("tensor ", quoted(t.name), " (", typeString(t.dtype, t.shape), ", ", bytes, " bytes) at ",
                 inArena ? "arena" : "weights", " offset ", t.offset, " ends at ", t.offset + bytes,
                 ", past the end of the ", inArena ? "arena" : "weight blob", " (", limit, " bytes)"));
    }
  }

  // A strided view (a concat input in its slice at batch > 1) lives in the arena and
  // its images, imageStride elements apart, end inside it; the caller checked the shape.
  void checkView(const TensorDesc& t, uint64_t limit) {
    const std::string label = cat("tensor ", quoted(t.name), " ", typeString(t.dtype, t.shape));
    if (t.location != Location::arena) fail(cat(label, " in the weights cannot be a strided view (image stride ", t.imageStride, ")"));
    if (t.shape.empty()) fail(cat(label, " of rank 0 cannot be a strided view (image stride ", t.imageStride, ")"));
    if (t.imageStride <= imageElements(t) || t.imageStride > limits::kMaxElements)
      fail(cat(label, " has image stride ", t.imageStride, " elements; a strided view needs more than its ",
               imageElements(t), " elements per image and at most 2^48"));
    if (plan_.cuda.present)
      fail(cat(label, " is a strided view (image stride ", t.imageStride,
               " elements); CUDA plans do not support strided views (concat elimination at batch > 1 is CPU-only)"));
    // Images past the limit are refused before the span is computed (it could overflow).
    const bool huge = uint64_t(t.shape[0] - 1) > limits::kMaxArenaBytes / (t.imageStride * dtypeSize(t.dtype));
    const uint64_t span = huge ? 0 : spanBytes(t);
    if (huge || t.offset > limit || span > limit - t.offset)
      fail(cat(label, " viewed with image stride ", t.imageStride,
               huge ? std::string(" spans more bytes than the arena") : cat(" spans ", span, " bytes from arena offset ", t.offset),
               ", past the end of the arena (", limit, " bytes)"));
  }

  void checkIndexList(const std::vector<uint32_t>& list, const char* what) {
    std::unordered_set<uint32_t> seen;
    for (uint32_t t : list) {
      if (t >= plan_.tensors.size())
        fail(cat(what, " refers to tensor ", t, " but the plan has ", plan_.tensors.size(), " tensors"));
      if (!seen.insert(t).second) fail(cat(what, " lists tensor ", tensorLabel(t), " twice"));
    }
  }

  void checkGraphIo() {
    checkIndexList(plan_.inputs, "the input list");
    checkIndexList(plan_.outputs, "the output list");
    for (uint32_t t : plan_.inputs)
      if (plan_.tensors[t].location != Location::arena)
        fail(cat("input ", tensorLabel(t), " must live in the arena, not in the weights"));
    for (const auto* list : {&plan_.inputs, &plan_.outputs})
      for (uint32_t t : *list)
        if (isStrided(plan_.tensors[t]))
          fail(cat(list == &plan_.inputs ? "input " : "output ", tensorLabel(t), " is a strided view (image stride ",
                   plan_.tensors[t].imageStride, " elements); graph inputs and outputs must be dense"));
  }

  void checkLayerOperands(size_t l) {
    const LayerDesc& layer = plan_.layers[l];
    if (layer.name.empty()) fail(cat("layer ", l, " has an empty name"));
    if (layer.kernel.empty()) fail(cat(layerLabel(l), " has an empty kernel name"));
    for (const auto* list : {&layer.inputs, &layer.outputs}) {
      const bool outputs = list == &layer.outputs;
      for (uint32_t t : *list)
        if (t >= plan_.tensors.size())
          fail(cat(layerLabel(l), outputs ? " output" : " input", " refers to tensor ", t, " but the plan has ",
                   plan_.tensors.size(), " tensors"));
    }
    if (layer.outputs.empty()) fail(cat(layerLabel(l), " has no outputs"));
    for (size_t i = 0; i < layer.outputs.size(); ++i) {
      uint32_t t = layer.outputs[i];
      if (plan_.tensors[t].location != Location::arena)
        fail(cat(layerLabel(l), " writes tensor ", tensorLabel(t), ", which is in the read-only weights"));
      for (size_t j = 0; j < i; ++j)
        if (extentsOverlap(extentOf(plan_.tensors[t]), extentOf(plan_.tensors[layer.outputs[j]])))
          fail(cat(layerLabel(l), " outputs ", tensorLabel(layer.outputs[j]), " and ", tensorLabel(t), " overlap"));
    }
  }

  // Simulates the arena: which tensors hold their value at each step.
  void checkDataFlow() {
    const size_t n = plan_.tensors.size();
    constexpr size_t kNever = SIZE_MAX;
    std::vector<bool> valid(n, false);
    std::vector<size_t> lastClobber(n, kNever);
    for (uint32_t t : plan_.inputs) valid[t] = true;
    auto readable = [&](uint32_t t) { return plan_.tensors[t].location == Location::weights || valid[t]; };
    auto staleReason = [&](uint32_t t) {
      return lastClobber[t] == kNever ? std::string("before any layer writes it")
                                      : cat("after ", layerLabel(lastClobber[t]), " overwrote its memory");
    };

    for (size_t l = 0; l < plan_.layers.size(); ++l) {
      const LayerDesc& layer = plan_.layers[l];
      for (uint32_t t : layer.inputs)
        if (!readable(t)) fail(cat(layerLabel(l), " reads tensor ", tensorLabel(t), " ", staleReason(t)));
      // A copy onto its own bytes (a reshape the planner aliased) leaves the source intact.
      const bool aliasCopy = layer.kernel == "copy" && layer.inputs.size() == 1;
      for (uint32_t out : layer.outputs) {
        const Extent written = extentOf(plan_.tensors[out]);
        for (uint32_t u = 0; u < n; ++u) {
          if (u == out || plan_.tensors[u].location != Location::arena) continue;
          const Extent other = extentOf(plan_.tensors[u]);
          if (!extentsOverlap(written, other)) continue;
          if (aliasCopy && u == layer.inputs[0] && extentsEqual(other, written)) continue;
          valid[u] = false;
          lastClobber[u] = l;
        }
      }
      for (uint32_t out : layer.outputs) valid[out] = true;
    }
    for (uint32_t t : plan_.outputs) {
      if (readable(t)) continue;
      if (lastClobber[t] == kNever) fail(cat("output ", tensorLabel(t), " is never written by any layer"));
      fail(cat("output ", tensorLabel(t), " is overwritten by ", layerLabel(lastClobber[t]), " before the end"));
    }
  }

  const PlanModel& plan_;
  const char* code_;
};

}  // namespace

void validatePlanStructure(const PlanModel& plan, const char* errorCode) { Validator(plan, errorCode).run(); }

}  // namespace kiln
