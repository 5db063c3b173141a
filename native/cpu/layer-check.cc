// Shared layer checks; see layer-check.h.
#include "layer-check.h"

namespace kiln::cpu {

void LayerCheck::inputs(size_t min, size_t max) const {
  const size_t n = layer_.inputs.size();
  if (n >= min && n <= max) return;
  std::string want = min == max ? cat(min) : max == SIZE_MAX ? cat("at least ", min) : cat(min, " or ", max);
  fail(cat("kernel ", layer_.kernel, " expects ", want, " input", (min == 1 && max == 1 ? "" : "s"), ", got ", n));
}

void LayerCheck::outputs(size_t count) const {
  if (layer_.outputs.size() == count) return;
  fail(cat("kernel ", layer_.kernel, " expects ", count, " output", count == 1 ? "" : "s", ", got ",
           layer_.outputs.size()));
}

void LayerCheck::intCount(size_t count, const char* layoutHint) const {
  if (layer_.ints.size() == count) return;
  fail(cat("kernel ", layer_.kernel, " expects ", count, " ints ", layoutHint, ", got ", layer_.ints.size(), " ",
           listString(layer_.ints)));
}

void LayerCheck::floatCount(size_t count, const char* layoutHint) const {
  if (layer_.floats.size() == count) return;
  fail(cat("kernel ", layer_.kernel, " expects ", count, " floats ", layoutHint, ", got ", layer_.floats.size()));
}

void LayerCheck::allF32() const {
  for (const auto* list : {&layer_.inputs, &layer_.outputs}) {
    for (uint32_t t : *list) {
      const TensorDesc& d = tensors_[t];
      if (d.dtype != DType::f32)
        fail(cat("kernel ", layer_.kernel, " supports f32 only; ", list == &layer_.inputs ? "input " : "output ",
                 describe(d)));
    }
  }
}

int64_t LayerCheck::intIn(size_t index, int64_t lo, int64_t hi, const char* what) const {
  const int64_t v = layer_.ints[index];
  if (v < lo || v > hi) fail(cat(what, " (ints[", index, "]) is ", v, "; expected ", lo, "..", hi));
  return v;
}

Activation LayerCheck::activation(size_t codeIndex) const {
  Activation a;
  a.kind = static_cast<Act>(intIn(codeIndex, 0, kActCount - 1, "activation code"));
  a.alpha = static_cast<float>(layer_.floats[0]);
  a.beta = static_cast<float>(layer_.floats[1]);
  if (a.kind == Act::clip && !(a.alpha <= a.beta))
    fail(cat("clip needs min <= max, got min ", a.alpha, " max ", a.beta));
  return a;
}

}  // namespace kiln::cpu
