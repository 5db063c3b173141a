// The activation functions of ONNX's recurrent layers (f, g, h of RNN, GRU and
// LSTM), with the codes of RNN_ACTIVATION_CODES in codegen/cpu/lower-recurrent.ts,
// applied to whole gate rows with the switch hoisted out of the loop. Each may
// first clip its input to [-clip, clip] (clip = +inf: none), as ONNX's `clip`
// bounds the inputs of the activations.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln::cpu {

enum class RnnAct : int32_t {
  relu = 0, tanh = 1, sigmoid = 2, affine = 3, leakyRelu = 4, thresholdedRelu = 5,
  scaledTanh = 6, hardSigmoid = 7, elu = 8, softsign = 9, softplus = 10,
};
inline constexpr int64_t kRnnActCount = 11;

struct RnnActivation {
  RnnAct kind = RnnAct::tanh;
  float alpha = 0.f;
  float beta = 0.f;
};

// x[i] = act(clamp(x[i], -clip, clip)) for i < n, in place.
void rnnActivate(const RnnActivation& act, float clip, float* x, size_t n);

}  // namespace kiln::cpu
