// One loop per activation with the switch hoisted out, so the simple ones
// (relu, leakyRelu, clip) vectorize; gelu, sigmoid, silu and tanh run on the
// vector routines of this CPU (vec-kernels-act.inc) instead of libm's scalar calls.
#include "activation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "vec-kernels.h"

namespace kiln::cpu {

ClampRange clampOf(const Activation& a) {
  const float inf = std::numeric_limits<float>::infinity();
  if (a.kind == Act::clip) return {true, a.alpha, a.beta};
  if (a.kind == Act::relu) return {true, 0.f, inf};
  return {false, -inf, inf};
}

const char* actName(Act a) {
  static const char* const kNames[kActCount] = {"none", "relu", "sigmoid", "tanh", "leakyRelu", "clip", "gelu", "silu", "geluTanh"};
  return kNames[static_cast<int>(a)];
}

// GELU's tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), on libm's tanh.
static void geluTanh(const float* x, float* y, size_t n) {
  constexpr float kC = 0.7978845608028654f, kK = 0.044715f;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.f + std::tanh(kC * (v + kK * v * v * v)));
  }
}

void applyActivation(const Activation& act, const float* x, float* y, size_t n) {
  const float alpha = act.alpha, beta = act.beta;
  switch (act.kind) {
    case Act::none:
      if (x != y)
        for (size_t i = 0; i < n; ++i) y[i] = x[i];
      return;
    case Act::relu:
      for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
      return;
    case Act::sigmoid:
      vecKernels().actTranscendental(1, x, y, long(n));
      return;
    case Act::tanh:
      vecKernels().actTranscendental(3, x, y, long(n));
      return;
    case Act::leakyRelu:
      for (size_t i = 0; i < n; ++i) y[i] = x[i] >= 0.f ? x[i] : x[i] * alpha;
      return;
    case Act::clip:
      for (size_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], alpha), beta);
      return;
    case Act::gelu:
      vecKernels().actTranscendental(0, x, y, long(n));
      return;
    case Act::silu:
      vecKernels().actTranscendental(2, x, y, long(n));
      return;
    case Act::geluTanh:
      geluTanh(x, y, n);
      return;
  }
}

}  // namespace kiln::cpu
