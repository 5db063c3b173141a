// What qconv (kernel-qconv.cc) and qgemm (kernel-qgemm.cc) share: int8 layers with i8
// activations and per-output-channel i8 weights, exact i32 accumulation, and a fused
// epilogue: dequantize by xScale * wScale[c], add the f32 bias, activate, then write
// f32 or requantize to i8 by outScale.
// inputs: x i8, w i8 (weights), wScale f32[Cout] (weights), optional bias f32[Cout].
// floats: [alpha, beta, xScale, outScale] (outScale 0: f32 output).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "activation.h"
#include "int8-gemm.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {

// The widened, padded weights and the epilogue constants.
struct Int8Layer {
  uint32_t x, y;
  int64_t bias;
  size_t cout, k, kp;
  Activation act;
  float outScale;
  std::vector<float> multiplier;  // xScale * wScale[c], rounded to f32 as the interpreter does
  std::vector<int16_t> w;         // [cout][kp]
  std::vector<int8_t> wq;         // [cout][k], as in the plan

  Int8Layer(const LayerCheck& c, size_t actIndex, bool xF32 = false) {
    const bool hasBias = c.intIn(actIndex + 1, 0, 1, "hasBias") == 1;
    c.inputs(hasBias ? 4 : 3, hasBias ? 4 : 3);
    c.outputs(1);
    x = c.inputId(0);
    y = c.outputId(0);
    bias = hasBias ? int64_t(c.inputId(3)) : -1;
    act = c.activation(actIndex);
    const TensorDesc &xt = c.input(0), &wt = c.input(1), &st = c.input(2), &yt = c.output(0);
    if (xt.dtype != (xF32 ? DType::f32 : DType::i8) || wt.dtype != DType::i8) c.fail(cat("kernel ", c.layer().kernel, " needs ", xF32 ? "f32 x (xQuantize)" : "i8 x", " and i8 w, got ", LayerCheck::describe(xt), " and ", LayerCheck::describe(wt)));
    if (wt.location != Location::weights || st.location != Location::weights) c.fail("int8 weights and their scales must be constants");
    cout = size_t(wt.shape[0]);
    k = size_t(elementCount(wt.shape) / cout);
    kp = int8PaddedK(k);
    if (st.dtype != DType::f32 || elementCount(st.shape) != cout) c.fail(cat("weight scales must be f32[", cout, "], got ", LayerCheck::describe(st)));
    if (hasBias && (c.input(3).dtype != DType::f32 || elementCount(c.input(3).shape) != cout)) c.fail(cat("bias must be f32[", cout, "], got ", LayerCheck::describe(c.input(3))));
    const double xScale = c.floats()[2];
    outScale = float(c.floats()[3]);
    if (!(xScale > 0) || outScale < 0) c.fail(cat("xScale must be > 0 and outScale >= 0, got ", xScale, " and ", outScale));
    if (yt.dtype != (outScale > 0 ? DType::i8 : DType::f32)) c.fail(cat("output ", LayerCheck::describe(yt), " must be ", outScale > 0 ? "i8 (outScale > 0)" : "f32 (outScale 0)"));
    // LayerCheck hands out f32 constants only; the weight blob's base follows from the scales' offset.
    const float* ws = c.constantF32(2);
    if (!ws) return;  // validated only (serialize, inspect): nothing to pack
    const uint8_t* base = reinterpret_cast<const uint8_t*>(ws) - st.offset;
    const int8_t* wq = reinterpret_cast<const int8_t*>(base + wt.offset);
    this->wq.assign(wq, wq + cout * k);
    w.assign(cout * kp, 0);
    multiplier.resize(cout);
    for (size_t o = 0; o < cout; ++o) {
      for (size_t i = 0; i < k; ++i) w[o * kp + i] = wq[o * k + i];
      multiplier[o] = float(xScale) * ws[o];
    }
  }

  // acc[j] of channels o0 + j, j < count, of one output position -> y at index(o0 + j).
  // Requantizing divides by outScale (not a reciprocal multiply) to round as ONNX does.
  template <typename Index>
  void finish(const RunContext& ctx, const int32_t* acc, size_t o0, size_t count, Index index) const {
    const float* b = bias >= 0 ? ctx.data<const float>(uint32_t(bias)) : nullptr;
    float v[1];
    for (size_t o = o0; o < o0 + count; ++o) {
      v[0] = float(acc[o - o0]) * multiplier[o];
      if (b) v[0] += b[o];
      if (act.kind != Act::none) applyActivation(act, v, v, 1);
      if (outScale > 0) {
        const float q = std::nearbyint(v[0] / outScale);
        ctx.data<int8_t>(y)[index(o)] = int8_t(std::min(127.f, std::max(-128.f, q)));
      } else {
        ctx.data<float>(y)[index(o)] = v[0];
      }
    }
  }
};

}  // namespace kiln::cpu
