// convNhwc: a groups-1 2-D conv on NHWC tensors, the kernel of the ConvNhwc layers
// that the CUDA layout (passes/assign-layout.ts, options.layout 'cuda') makes. The
// GPU runs these layers with its own kernels; this is the CPU's version of the same
// layer, so the plan's per-layer checks apply to CUDA plans too and a CPU engine can
// run one: weights repacked once as [kh][kw][Cin][Cout], and for each output pixel a
// row of Cout sums grown tap by tap and channel by channel (the inner loop runs over
// contiguous output channels, which the compiler vectorizes), then bias, residual and
// the activation. Work items are output rows of one image.
// inputs: x [N, H, W, C], w [Cout, C, kh, kw] (constant), optional b [Cout] (constant),
// optional residual [N, OH, OW, Cout] (last); output y [N, OH, OW, Cout].
// ints: conv's for 2 spatial dims with groups 1 (conv-params.h), hasResidual appended.
#include <algorithm>
#include <memory>
#include <vector>

#include "activation.h"
#include "kernels.h"
#include "layer-check.h"
#include "window.h"

namespace kiln::cpu {
namespace {

struct Dims {
  int64_t n, c, h, w, co, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw;
};

class ConvNhwcOp final : public LayerOp {
 public:
  ConvNhwcOp(const Dims& d, Activation act, uint32_t x, uint32_t y, int64_t residual, const float* w, const float* b)
      : d_(d), act_(act), x_(x), y_(y), residual_(residual) {
    packed_.assign(size_t(d.kh * d.kw * d.c * d.co), 0.f);
    bias_.assign(size_t(d.co), 0.f);
    if (w)
      for (int64_t o = 0; o < d.co; ++o)
        for (int64_t ci = 0; ci < d.c; ++ci)
          for (int64_t t = 0; t < d.kh * d.kw; ++t) packed_[size_t((t * d.c + ci) * d.co + o)] = w[(o * d.c + ci) * d.kh * d.kw + t];
    if (b) std::copy(b, b + d.co, bias_.begin());
  }

  void run(const RunContext& ctx) const override {
    const Dims& d = d_;
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const float* res = residual_ >= 0 ? ctx.data<const float>(uint32_t(residual_)) : nullptr;
    ctx.pool->parallelFor(size_t(d.n * d.oh), [&](size_t item) {
      const int64_t n = int64_t(item) / d.oh, oy = int64_t(item) % d.oh;
      for (int64_t ox = 0; ox < d.ow; ++ox) {
        float* acc = y + ((n * d.oh + oy) * d.ow + ox) * d.co;
        std::copy(bias_.begin(), bias_.end(), acc);
        for (int64_t ky = 0; ky < d.kh; ++ky) {
          const int64_t iy = oy * d.sh - d.pt + ky * d.dh;
          if (iy < 0 || iy >= d.h) continue;
          for (int64_t kx = 0; kx < d.kw; ++kx) {
            const int64_t ix = ox * d.sw - d.pl + kx * d.dw;
            if (ix < 0 || ix >= d.w) continue;
            const float* px = x + ((n * d.h + iy) * d.w + ix) * d.c;
            const float* wt = packed_.data() + (ky * d.kw + kx) * d.c * d.co;
            for (int64_t ci = 0; ci < d.c; ++ci) {
              const float v = px[ci];
              const float* wr = wt + ci * d.co;
              for (int64_t o = 0; o < d.co; ++o) acc[o] += v * wr[o];
            }
          }
        }
        if (res) {
          const float* r = res + ((n * d.oh + oy) * d.ow + ox) * d.co;
          for (int64_t o = 0; o < d.co; ++o) acc[o] += r[o];
        }
      }
      float* row = y + (n * d.oh + oy) * d.ow * d.co;
      if (act_.kind != Act::none) applyActivation(act_, row, row, size_t(d.ow * d.co));
    });
  }

 private:
  Dims d_;
  Activation act_;
  uint32_t x_, y_;
  int64_t residual_;
  std::vector<float> packed_, bias_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const auto& v = c.ints();
  const bool hasResidual = v.size() == 12 && v[11] == 1;
  if (v.size() != 11 && v.size() != 12)
    c.fail(cat("kernel convNhwc expects 11 or 12 ints [nSpatial 2, groups 1, activationCode, strides[2], padsBegin[2], "
               "padsEnd[2], dilations[2], hasResidual], got ", v.size()));
  c.inputs(2, hasResidual ? 4 : 3);
  c.outputs(1);
  c.floatCount(2, "[alpha, beta]");
  c.intIn(0, 2, 2, "nSpatial");
  c.intIn(1, 1, 1, "groups");
  if (v.size() == 12) c.intIn(11, 0, 1, "hasResidual");
  c.allF32();
  const TensorDesc &x = c.input(0), &w = c.input(1), &y = c.output(0);
  if (x.shape.size() != 4) c.fail(cat("kernel convNhwc expects x [N,H,W,C], got ", LayerCheck::describe(x)));
  const int64_t C = x.shape[3];
  if (w.shape.size() != 4 || w.shape[1] != C)
    c.fail(cat("kernel convNhwc expects weights [Cout,", C, ",kh,kw], got ", LayerCheck::describe(w)));
  if (w.location != Location::weights) c.fail("kernel convNhwc needs constant weights");
  const int64_t CO = w.shape[0];
  const size_t biasAt = 2, biasCount = c.inputCount() - (hasResidual ? 1 : 0) - 2;
  if (hasResidual && c.inputCount() < 3) c.fail("kernel convNhwc: hasResidual needs a residual input");
  if (biasCount == 1 && c.input(biasAt).shape != Shape{CO})
    c.fail(cat("kernel convNhwc expects bias [", CO, "], got ", LayerCheck::describe(c.input(biasAt))));
  if (biasCount == 1 && c.input(biasAt).location != Location::weights) c.fail("kernel convNhwc needs a constant bias");
  for (size_t i = 3; i < 11; ++i)
    if (v[i] < (i >= 5 && i < 9 ? 0 : 1)) c.fail("kernel convNhwc: strides and dilations must be >= 1, pads >= 0");
  Dims d{x.shape[0], C, x.shape[1], x.shape[2], CO, 0, 0, w.shape[2], w.shape[3], v[3], v[4], v[5], v[6], v[9], v[10]};
  d.oh = windowOutSize(d.h, d.kh, d.sh, d.pt, v[7], d.dh);
  d.ow = windowOutSize(d.w, d.kw, d.sw, d.pl, v[8], d.dw);
  const Shape out{d.n, d.oh, d.ow, CO};
  if (d.oh <= 0 || d.ow <= 0 || y.shape != out)
    c.fail(cat("kernel convNhwc expects output [", d.n, ",", d.oh, ",", d.ow, ",", CO, "], got ", LayerCheck::describe(y)));
  const size_t last = c.inputCount() - 1;
  if (hasResidual && c.input(last).shape != out)
    c.fail(cat("kernel convNhwc expects residual [", d.n, ",", d.oh, ",", d.ow, ",", CO, "], got ",
               LayerCheck::describe(c.input(last))));
  return std::make_unique<ConvNhwcOp>(d, c.activation(2), c.inputId(0), c.outputId(0),
                                      hasResidual ? int64_t(c.inputId(last)) : -1, c.constantF32(1),
                                      biasCount == 1 ? c.constantF32(biasAt) : nullptr);
}

}  // namespace

KernelDef convNhwcKernel() { return {"convNhwc", false, validate}; }

}  // namespace kiln::cpu
