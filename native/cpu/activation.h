// Activations: the unary kernel and the fused GEMM/conv epilogues share these
// codes (ACTIVATION_CODES in codegen/plan-desc.ts) and this implementation, so
// a fused layer computes exactly what the unfused pair would.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln::cpu {

enum class Act : int32_t { none = 0, relu = 1, sigmoid = 2, tanh = 3, leakyRelu = 4, clip = 5, gelu = 6, silu = 7, geluTanh = 8 };
inline constexpr int64_t kActCount = 9;

struct Activation {
  Act kind = Act::none;
  float alpha = 0.f;  // leakyRelu: slope; clip: min
  float beta = 0.f;   // clip: max
};

const char* actName(Act a);

// relu and clip as the clamp to [lo, hi] that register epilogues apply (relu: [0, inf));
// `on` is false for every other kind, whose lo and hi are -inf and inf.
struct ClampRange {
  bool on;
  float lo, hi;
};
ClampRange clampOf(const Activation& a);

// y[i] = act(x[i]) for i < n; y may equal x.
void applyActivation(const Activation& act, const float* x, float* y, size_t n);

}  // namespace kiln::cpu
