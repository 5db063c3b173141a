// qconv (2-d, groups 1) and qgemm (fully connected, y = x w^T): int8 layers with
// i8 activations and per-output-channel i8 weights, exact i32 accumulation in
// int8DotRows, and a fused epilogue: dequantize by xScale * wScale[c], add the f32
// bias, activate, then write f32 or requantize to i8 by outScale.
// inputs: x i8, w i8 (weights), wScale f32[Cout] (weights), optional bias f32[Cout].
// qconv ints: [strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH,
// dilationW, activationCode, hasBias]; qgemm ints: [activationCode, hasBias].
// floats: [alpha, beta, xScale, outScale] (outScale 0: f32 output).
#include <algorithm>
#include <cmath>
#include <vector>

#include "activation.h"
#include "int8-gemm.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

// What both layers share: the widened, padded weights and the epilogue constants.
struct Int8Layer {
  uint32_t x, y;
  int64_t bias;
  size_t cout, k, kp;
  Activation act;
  float outScale;
  std::vector<float> multiplier;  // xScale * wScale[c], rounded to f32 as the interpreter does
  std::vector<int16_t> w;         // [cout][kp]

  Int8Layer(const LayerCheck& c, size_t actIndex) {
    const bool hasBias = c.intIn(actIndex + 1, 0, 1, "hasBias") == 1;
    c.inputs(hasBias ? 4 : 3, hasBias ? 4 : 3);
    c.outputs(1);
    x = c.inputId(0);
    y = c.outputId(0);
    bias = hasBias ? int64_t(c.inputId(3)) : -1;
    act = c.activation(actIndex);
    const TensorDesc &xt = c.input(0), &wt = c.input(1), &st = c.input(2), &yt = c.output(0);
    if (xt.dtype != DType::i8 || wt.dtype != DType::i8) c.fail(cat("kernel ", c.layer().kernel, " needs i8 x and w, got ", LayerCheck::describe(xt), " and ", LayerCheck::describe(wt)));
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

class QConvOp final : public LayerOp {
 public:
  QConvOp(const LayerCheck& c) : l_(c, 8) {
    const auto& in = c.ints();
    for (int i = 0; i < 8; ++i) p_[i] = size_t(c.intIn(size_t(i), 0, 1 << 20, "window parameter"));
    if (in.size() != 10) c.fail("qconv expects 10 ints");
    const TensorDesc &xt = c.input(0), &wt = c.input(1), &yt = c.output(0);
    if (xt.shape.size() != 4 || wt.shape.size() != 4 || xt.shape[1] != wt.shape[1]) c.fail(cat("qconv needs x [N,C,H,W] and w [Cout,C,kh,kw], got ", LayerCheck::describe(xt), " and ", LayerCheck::describe(wt)));
    n_ = size_t(xt.shape[0]); cin_ = size_t(xt.shape[1]); h_ = size_t(xt.shape[2]); w_ = size_t(xt.shape[3]);
    kh_ = size_t(wt.shape[2]); kw_ = size_t(wt.shape[3]);
    oh_ = size_t(yt.shape[2]); ow_ = size_t(yt.shape[3]);
  }

  void run(const RunContext& ctx) const override {
    const int8_t* x = ctx.data<const int8_t>(l_.x);
    const size_t pixels = oh_ * ow_, block = 16, blocks = (pixels + block - 1) / block;
    const Int8DotRowsFn dot = int8DotRows();
    for (size_t n = 0; n < n_; ++n) {
      const int8_t* xn = x + n * cin_ * h_ * w_;
      ctx.pool->parallelFor(blocks, [&](size_t bi) {
        std::vector<int16_t> patch(l_.kp, 0);
        std::vector<int32_t> acc(l_.cout);
        for (size_t p = bi * block; p < std::min(pixels, (bi + 1) * block); ++p) {
          const size_t oy = p / ow_, ox = p % ow_;
          size_t i = 0;
          for (size_t ic = 0; ic < cin_; ++ic)
            for (size_t ky = 0; ky < kh_; ++ky) {
              const ptrdiff_t iy = ptrdiff_t(oy * p_[0] + ky * p_[6]) - ptrdiff_t(p_[2]);
              for (size_t kx = 0; kx < kw_; ++kx, ++i) {
                const ptrdiff_t ix = ptrdiff_t(ox * p_[1] + kx * p_[7]) - ptrdiff_t(p_[3]);
                const bool inside = iy >= 0 && iy < ptrdiff_t(h_) && ix >= 0 && ix < ptrdiff_t(w_);
                patch[i] = inside ? xn[(ic * h_ + size_t(iy)) * w_ + size_t(ix)] : 0;
              }
            }
          dot(patch.data(), l_.kp, l_.w.data(), l_.cout, acc.data());
          l_.finish(ctx, acc.data(), 0, l_.cout, [&](size_t o) { return (n * l_.cout + o) * pixels + p; });
        }
      });
    }
  }

 private:
  Int8Layer l_;
  size_t p_[8];
  size_t n_, cin_, h_, w_, kh_, kw_, oh_, ow_;
};

class QGemmOp final : public LayerOp {
 public:
  QGemmOp(const LayerCheck& c) : l_(c, 0) {
    c.intCount(2, "[activationCode, hasBias]");
    const TensorDesc& xt = c.input(0);
    if (xt.shape.size() != 2 || size_t(xt.shape[1]) != l_.k) c.fail(cat("qgemm needs x [M,", l_.k, "], got ", LayerCheck::describe(xt)));
    m_ = size_t(xt.shape[0]);
  }

  void run(const RunContext& ctx) const override {
    const int8_t* x = ctx.data<const int8_t>(l_.x);
    const Int8DotRowsFn dot = int8DotRows();
    // Rows of x are few (the batch): spread the work over blocks of w's rows as well.
    const size_t block = 64, blocks = (l_.cout + block - 1) / block;
    ctx.pool->parallelFor(m_ * blocks, [&](size_t t) {
      const size_t m = t / blocks, o0 = (t % blocks) * block, count = std::min(block, l_.cout - o0);
      std::vector<int16_t> row(l_.kp, 0);
      std::vector<int32_t> acc(count);
      for (size_t i = 0; i < l_.k; ++i) row[i] = x[m * l_.k + i];
      dot(row.data(), l_.kp, l_.w.data() + o0 * l_.kp, count, acc.data());
      l_.finish(ctx, acc.data(), o0, count, [&](size_t o) { return m * l_.cout + o; });
    });
  }

 private:
  Int8Layer l_;
  size_t m_;
};

std::unique_ptr<LayerOp> validateQConv(const LayerCheck& c) {
  c.floatCount(4, "[alpha, beta, xScale, outScale]");
  return std::make_unique<QConvOp>(c);
}

std::unique_ptr<LayerOp> validateQGemm(const LayerCheck& c) {
  c.floatCount(4, "[alpha, beta, xScale, outScale]");
  return std::make_unique<QGemmOp>(c);
}

}  // namespace

KernelDef qconvKernel() { return {"qconv", false, validateQConv}; }
KernelDef qgemmKernel() { return {"qgemm", false, validateQGemm}; }

}  // namespace kiln::cpu
