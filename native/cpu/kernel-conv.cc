// conv: N-d convolution (1, 2 or 3 spatial dims), f32, as GEMM per (image,
// group): Y[Cout/g x spatial] = W[Cout/g x (C/g * taps)] * im2col(X), with
// bias and activation fused in the GEMM epilogue. 1x1 stride-1 unpadded
// convs skip im2col: the input already is B.
// inputs: x [N, C, in...], w [Cout, C/groups, k...], optional b [Cout].
// ints: [nSpatial, groups, activationCode, strides[n], padsBegin[n],
//        padsEnd[n], dilations[n]]. floats: [alpha, beta] of the activation.
#include <memory>

#include "conv-im2col.h"
#include "kernels.h"
#include "layer-check.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

struct ConvDims {
  int64_t batch, channels, outChannels, groups;
  Window3 win;
  int64_t groupChannels() const { return channels / groups; }
  int64_t groupOut() const { return outChannels / groups; }
  int64_t reduction() const { return groupChannels() * win.kernelVolume(); }
};

class ConvOp final : public LayerOp {
 public:
  ConvOp(const LayerCheck& c, const ConvDims& d, Activation act)
      : x_(c.inputId(0)), w_(c.inputId(1)), b_(c.inputCount() == 3 ? int64_t(c.inputId(2)) : -1), y_(c.outputId(0)),
        d_(d), act_(act) {
    const Window3& w = d.win;
    bool pointwise = true;
    for (int i = 0; i < 3; ++i)
      pointwise = pointwise && w.kernel[i] == 1 && w.stride[i] == 1 && w.padBegin[i] == 0 && w.padEnd[i] == 0;
    if (!pointwise) tables_ = std::make_unique<Im2colTables>(w, d.groupChannels());
    // Constant weights are packed once here instead of on every run.
    if (const float* weights = c.constantF32(1)) {
      const int64_t K = d.reduction(), og = d.groupOut();
      for (int64_t g = 0; g < d.groups; ++g)
        packedW_.push_back(prepackA({weights + g * og * K, K, 1}, size_t(og), size_t(K)));
    }
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    const float* w = ctx.data<const float>(w_);
    const float* bias = b_ >= 0 ? ctx.data<const float>(uint32_t(b_)) : nullptr;
    float* y = ctx.data<float>(y_);
    const int64_t inVol = d_.win.inVolume(), outVol = d_.win.outVolume(), K = d_.reduction();
    const int64_t cg = d_.groupChannels(), og = d_.groupOut();
    const size_t count = size_t(d_.batch * d_.groups);

    std::vector<Im2colSource> sources;
    if (tables_) sources.reserve(count);
    std::vector<GemmProblem> problems(count);
    for (int64_t n = 0; n < d_.batch; ++n)
      for (int64_t g = 0; g < d_.groups; ++g) {
        GemmProblem& p = problems[size_t(n * d_.groups + g)];
        const float* xg = x + (n * d_.channels + g * cg) * inVol;
        p.m = size_t(og);
        p.n = size_t(outVol);
        p.k = size_t(K);
        p.a = {w + g * og * K, K, 1};
        if (!packedW_.empty()) p.aPacked = packedW_[size_t(g)].as<float>();
        if (tables_) {
          sources.emplace_back(*tables_, xg);
          p.bSource = &sources.back();
        } else {
          p.b = {xg, inVol, 1};
        }
        p.c = y + (n * d_.outChannels + g * og) * outVol;
        p.ldc = size_t(outVol);
        p.epilogue = {bias ? bias + g * og : nullptr, true, act_};
      }
    sgemmBatch(*ctx.pool, problems.data(), problems.size());
  }

 private:
  uint32_t x_, w_;
  int64_t b_;
  uint32_t y_;
  ConvDims d_;
  Activation act_;
  std::unique_ptr<Im2colTables> tables_;  // null for pointwise convs
  std::vector<AlignedBuffer> packedW_;     // per group; empty unless w is a constant
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 3);
  c.outputs(1);
  if (c.ints().empty()) c.fail("kernel conv expects ints [nSpatial, groups, activationCode, strides[n], ...], got []");
  const size_t n = size_t(c.intIn(0, 1, 3, "nSpatial"));
  c.intCount(3 + 4 * n, "[nSpatial, groups, activationCode, strides[n], padsBegin[n], padsEnd[n], dilations[n]]");
  c.floatCount(2, "[alpha, beta]");
  c.allF32();
  const Activation act = c.activation(2);
  const TensorDesc &x = c.input(0), &w = c.input(1), &y = c.output(0);
  const size_t rank = n + 2;
  if (x.shape.size() != rank)
    c.fail(cat("kernel conv with ", n, " spatial dims expects an input of rank ", rank, ", got ", LayerCheck::describe(x)));
  if (y.shape.size() != rank)
    c.fail(cat("kernel conv with ", n, " spatial dims expects an output of rank ", rank, ", got ", LayerCheck::describe(y)));
  ConvDims d;
  d.batch = x.shape[0];
  d.channels = x.shape[1];
  d.outChannels = y.shape[1];
  d.groups = c.intIn(1, 1, d.channels, "groups");
  if (d.channels % d.groups || d.outChannels % d.groups)
    c.fail(cat("groups ", d.groups, " must divide input channels ", d.channels, " and output channels ", d.outChannels));

  Shape expectW = {d.outChannels, d.channels / d.groups};
  for (size_t i = 0; i < n; ++i) expectW.push_back(w.shape.size() == rank ? w.shape[2 + i] : 1);
  if (w.shape != expectW)
    c.fail(cat("kernel conv expects weights ", typeString(DType::f32, expectW), " for input ",
               typeString(x.dtype, x.shape), " with groups ", d.groups, ", got ", typeString(w.dtype, w.shape)));
  if (c.inputCount() == 3 && c.input(2).shape != Shape{d.outChannels})
    c.fail(cat("kernel conv expects bias ", typeString(DType::f32, {d.outChannels}), ", got ",
               LayerCheck::describe(c.input(2))));

  Shape expectY = {d.batch, d.outChannels};
  for (size_t i = 0; i < n; ++i) {
    const size_t a = 3 - n + i;  // spatial dims are right-aligned in Window3
    d.win.in[a] = x.shape[2 + i];
    d.win.kernel[a] = w.shape[2 + i];
    d.win.stride[a] = c.intIn(3 + i, 1, 1 << 20, "stride");
    d.win.padBegin[a] = c.intIn(3 + n + i, 0, 1 << 20, "padBegin");
    d.win.padEnd[a] = c.intIn(3 + 2 * n + i, 0, 1 << 20, "padEnd");
    d.win.dilation[a] = c.intIn(3 + 3 * n + i, 1, 1 << 20, "dilation");
    if (d.win.in[a] >= (1 << 30) || d.win.kernel[a] >= (1 << 30))
      c.fail("kernel conv supports spatial sizes below 2^30");
    d.win.out[a] = windowOutSize(d.win.in[a], d.win.kernel[a], d.win.stride[a], d.win.padBegin[a], d.win.padEnd[a],
                                 d.win.dilation[a]);
    expectY.push_back(d.win.out[a]);
  }
  const auto& ints = c.ints();
  const bool fits = [&] {
    for (size_t i = 2; i < rank; ++i)
      if (expectY[i] < 1) return false;
    return true;
  }();
  if (!fits || y.shape != expectY)
    c.fail(cat("kernel conv expects output ", fits ? typeString(DType::f32, expectY) : std::string("(none: the window does not fit)"),
               " for input ", typeString(x.dtype, x.shape), ", weights ", typeString(w.dtype, w.shape), ", strides ",
               listString(slice(ints, 3, n)), ", pads ", listString(slice(ints, 3 + n, n)), "+",
               listString(slice(ints, 3 + 2 * n, n)), ", dilations ", listString(slice(ints, 3 + 3 * n, n)), "; got ",
               typeString(y.dtype, y.shape)));
  // The im2col tables hold one entry per reduction row and per output position.
  if (d.win.outVolume() > (int64_t(1) << 28)) c.fail("kernel conv supports at most 2^28 output positions per image");
  if (d.reduction() > (int64_t(1) << 24)) c.fail("kernel conv supports at most 2^24 weights per output channel");
  return std::make_unique<ConvOp>(c, d, act);
}

}  // namespace

KernelDef convKernel() { return {"conv", false, validate}; }

}  // namespace kiln::cpu
