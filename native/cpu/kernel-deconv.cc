// deconv: N-d transposed convolution (ONNX ConvTranspose; 1, 2 or 3 spatial
// dims), f32, as GEMM + col2im per (image, group):
//   cols[Cout/g * taps x inPositions] = W_g^T [Cout/g * taps x C/g] * X_g
// then every column is scattered (added) into the output at
// i*stride + tap*dilation - padBegin, onto a plane that starts at the bias;
// the activation runs on each finished plane. A 1-tap, stride-1, unpadded
// layer is a plain GEMM written straight into y with the fused epilogue.
// inputs: x [N, C, in...], w [C, Cout/groups, k...], optional b [Cout].
// ints: [nSpatial, groups, activationCode, strides[n], padsBegin[n],
//        padsEnd[n], dilations[n], outputPadding[n]]. floats: [alpha, beta].
#include <algorithm>
#include <array>
#include <memory>
#include <vector>

#include "kernels.h"
#include "layer-check.h"
#include "sgemm.h"
#include "window.h"

namespace kiln::cpu {
namespace {

// Scratch for the cols of the problems in flight: more problems at once give
// the GEMM more parallel work, this bounds the memory it takes.
constexpr uint64_t kColsBudgetFloats = uint64_t(8) << 20;

struct DeconvDims {
  int64_t batch, channels, outChannels, groups;
  Window3 win;  // in / out / kernel / stride / padBegin / dilation as for conv, out = the deconv output
  int64_t groupChannels() const { return channels / groups; }
  int64_t groupOut() const { return outChannels / groups; }
  int64_t rows() const { return groupOut() * win.kernelVolume(); }  // rows of cols per problem
};

// For one tap along one dim: the input positions [lo, hi) that land inside the
// output, and where input 0 would land (output = i * stride + offset).
struct TapRange {
  int64_t lo, hi, offset;
};

TapRange tapRange(int64_t in, int64_t out, int64_t stride, int64_t pad, int64_t tapOffset) {
  const int64_t offset = tapOffset - pad;
  // smallest i with i*stride + offset >= 0, largest with i*stride + offset <= out - 1
  int64_t lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t hi = out - 1 - offset < 0 ? 0 : (out - 1 - offset) / stride + 1;
  lo = std::min(lo, in);
  hi = std::max(lo, std::min(hi, in));
  return {lo, hi, offset};
}

class DeconvOp final : public LayerOp {
 public:
  DeconvOp(const LayerCheck& c, const DeconvDims& d, Activation act)
      : x_(c.inputId(0)), w_(c.inputId(1)), b_(c.inputCount() == 3 ? int64_t(c.inputId(2)) : -1), y_(c.outputId(0)),
        d_(d), act_(act) {
    const Window3& w = d.win;
    direct_ = w.kernelVolume() == 1;
    for (int i = 0; i < 3; ++i)
      direct_ = direct_ && w.stride[i] == 1 && w.padBegin[i] == 0 && w.out[i] == w.in[i];
    for (int64_t kz = 0; kz < w.kernel[0]; ++kz)
      for (int64_t ky = 0; ky < w.kernel[1]; ++ky)
        for (int64_t kx = 0; kx < w.kernel[2]; ++kx) {
          const int64_t k[3] = {kz, ky, kx};
          std::array<TapRange, 3> t;
          for (int i = 0; i < 3; ++i) t[size_t(i)] = tapRange(w.in[i], w.out[i], w.stride[i], w.padBegin[i], k[i] * w.dilation[i]);
          taps_.push_back(t);
        }
    // Constant weights: A = W_g^T is packed once per group here.
    if (const float* weights = c.constantF32(1)) {
      const int64_t rows = d.rows(), cg = d.groupChannels();
      for (int64_t g = 0; g < d.groups; ++g)
        packedW_.push_back(prepackA({weights + g * cg * rows, 1, rows}, size_t(rows), size_t(cg)));
    }
  }

  void run(const RunContext& ctx) const override {
    const float* x = ctx.data<const float>(x_);
    const float* w = ctx.data<const float>(w_);
    const float* bias = b_ >= 0 ? ctx.data<const float>(uint32_t(b_)) : nullptr;
    float* y = ctx.data<float>(y_);
    const int64_t inVol = d_.win.inVolume(), outVol = d_.win.outVolume(), rows = d_.rows();
    const int64_t cg = d_.groupChannels(), og = d_.groupOut();
    const size_t count = size_t(d_.batch * d_.groups);
    const size_t perProblem = size_t(rows * inVol);
    const size_t chunk = direct_ ? count : std::max<size_t>(1, std::min<size_t>(count, kColsBudgetFloats / perProblem));
    AlignedBuffer cols(direct_ ? 0 : chunk * perProblem * sizeof(float));

    std::vector<GemmProblem> problems;
    for (size_t first = 0; first < count; first += chunk) {
      const size_t n = std::min(chunk, count - first);
      problems.assign(n, GemmProblem{});
      for (size_t i = 0; i < n; ++i) {
        const int64_t image = int64_t(first + i) / d_.groups, g = int64_t(first + i) % d_.groups;
        GemmProblem& p = problems[i];
        p.m = size_t(rows);
        p.n = size_t(inVol);
        p.k = size_t(cg);
        p.a = {w + g * cg * rows, 1, rows};
        if (!packedW_.empty()) p.aPacked = packedW_[size_t(g)].as<float>();
        p.b = {x + (image * d_.channels + g * cg) * inVol, inVol, 1};
        p.ldc = size_t(inVol);
        if (direct_) {
          p.c = y + (image * d_.outChannels + g * og) * outVol;
          p.epilogue = {bias ? bias + g * og : nullptr, true, act_};
        } else {
          p.c = cols.as<float>() + i * perProblem;
        }
      }
      sgemmBatch(*ctx.pool, problems.data(), n);
      if (direct_) continue;
      // col2im: one output plane per work item, so no two items add to the same element.
      ctx.pool->parallelFor(n * size_t(og), [&](size_t item) {
        const size_t i = item / size_t(og);
        const int64_t oc = int64_t(item % size_t(og));
        const int64_t image = int64_t(first + i) / d_.groups, g = int64_t(first + i) % d_.groups;
        float* plane = y + (image * d_.outChannels + g * og + oc) * outVol;
        scatter(cols.as<const float>() + i * perProblem + oc * d_.win.kernelVolume() * inVol, plane,
                bias ? bias[g * og + oc] : 0.f);
      });
    }
  }

 private:
  // Adds every tap's row of cols into the plane; then the activation.
  void scatter(const float* cols, float* plane, float bias) const {
    const Window3& w = d_.win;
    const int64_t inVol = w.inVolume(), outVol = w.outVolume();
    std::fill(plane, plane + outVol, bias);
    for (size_t tap = 0; tap < taps_.size(); ++tap) {
      const std::array<TapRange, 3>& t = taps_[tap];
      const float* row = cols + int64_t(tap) * inVol;
      for (int64_t iz = t[0].lo; iz < t[0].hi; ++iz) {
        const int64_t oz = iz * w.stride[0] + t[0].offset;
        for (int64_t iy = t[1].lo; iy < t[1].hi; ++iy) {
          const int64_t oy = iy * w.stride[1] + t[1].offset;
          const float* src = row + (iz * w.in[1] + iy) * w.in[2];
          float* dst = plane + (oz * w.out[1] + oy) * w.out[2] + t[2].offset;
          const int64_t sx = w.stride[2];
          if (sx == 1) {
            for (int64_t ix = t[2].lo; ix < t[2].hi; ++ix) dst[ix] += src[ix];
          } else {
            for (int64_t ix = t[2].lo; ix < t[2].hi; ++ix) dst[ix * sx] += src[ix];
          }
        }
      }
    }
    if (act_.kind != Act::none) applyActivation(act_, plane, plane, size_t(outVol));
  }

  uint32_t x_, w_;
  int64_t b_;
  uint32_t y_;
  DeconvDims d_;
  Activation act_;
  bool direct_ = false;
  std::vector<std::array<TapRange, 3>> taps_;  // per tap, in the kernel's row-major order
  std::vector<AlignedBuffer> packedW_;        // per group; empty unless w is a constant
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 3);
  c.outputs(1);
  if (c.ints().empty()) c.fail("kernel deconv expects ints [nSpatial, groups, activationCode, strides[n], ...], got []");
  const size_t n = size_t(c.intIn(0, 1, 3, "nSpatial"));
  c.intCount(3 + 5 * n, "[nSpatial, groups, activationCode, strides[n], padsBegin[n], padsEnd[n], dilations[n], outputPadding[n]]");
  c.floatCount(2, "[alpha, beta]");
  c.allF32();
  const Activation act = c.activation(2);
  const TensorDesc &x = c.input(0), &w = c.input(1), &y = c.output(0);
  const size_t rank = n + 2;
  if (x.shape.size() != rank || w.shape.size() != rank)
    c.fail(cat("kernel deconv with ", n, " spatial dims expects input and weights of rank ", rank, ", got ",
               LayerCheck::describe(x), " and ", LayerCheck::describe(w)));
  DeconvDims d;
  d.batch = x.shape[0];
  d.channels = x.shape[1];
  d.groups = c.intIn(1, 1, d.channels, "groups");
  if (d.channels % d.groups) c.fail(cat("groups ", d.groups, " must divide the ", d.channels, " input channels"));
  d.outChannels = w.shape[1] * d.groups;
  if (w.shape[0] != d.channels)
    c.fail(cat("kernel deconv expects weights [", d.channels, ",Cout/groups,k...] for input ", typeString(x.dtype, x.shape),
               ", got ", typeString(w.dtype, w.shape)));
  if (c.inputCount() == 3 && c.input(2).shape != Shape{d.outChannels})
    c.fail(cat("kernel deconv expects bias ", typeString(DType::f32, {d.outChannels}), ", got ", LayerCheck::describe(c.input(2))));

  Shape expectY = {d.batch, d.outChannels};
  bool fits = true;
  for (size_t i = 0; i < n; ++i) {
    const size_t a = 3 - n + i;  // spatial dims are right-aligned in Window3
    d.win.in[a] = x.shape[2 + i];
    d.win.kernel[a] = w.shape[2 + i];
    d.win.stride[a] = c.intIn(3 + i, 1, 1 << 20, "stride");
    d.win.padBegin[a] = c.intIn(3 + n + i, 0, 1 << 20, "padBegin");
    d.win.padEnd[a] = c.intIn(3 + 2 * n + i, 0, 1 << 20, "padEnd");
    d.win.dilation[a] = c.intIn(3 + 3 * n + i, 1, 1 << 20, "dilation");
    const int64_t outPad = c.intIn(3 + 4 * n + i, 0, 1 << 20, "outputPadding");
    if (d.win.in[a] >= (1 << 30) || d.win.kernel[a] >= (1 << 30)) c.fail("kernel deconv supports spatial sizes below 2^30");
    d.win.out[a] = d.win.stride[a] * (d.win.in[a] - 1) + outPad + d.win.dilation[a] * (d.win.kernel[a] - 1) + 1 -
                   d.win.padBegin[a] - d.win.padEnd[a];
    fits = fits && d.win.out[a] >= 1;
    expectY.push_back(d.win.out[a]);
  }
  if (!fits || y.shape != expectY) {
    const auto& ints = c.ints();
    c.fail(cat("kernel deconv expects output ", fits ? typeString(DType::f32, expectY) : std::string("(none: the pads remove it all)"),
               " for input ", typeString(x.dtype, x.shape), ", weights ", typeString(w.dtype, w.shape), ", strides ",
               listString(slice(ints, 3, n)), ", pads ", listString(slice(ints, 3 + n, n)), "+",
               listString(slice(ints, 3 + 2 * n, n)), ", dilations ", listString(slice(ints, 3 + 3 * n, n)),
               ", outputPadding ", listString(slice(ints, 3 + 4 * n, n)), "; got ", typeString(y.dtype, y.shape)));
  }
  if (d.win.outVolume() > (int64_t(1) << 31) || d.win.inVolume() > (int64_t(1) << 28))
    c.fail("kernel deconv supports at most 2^28 input and 2^31 output positions per image");
  if (d.rows() > (int64_t(1) << 24)) c.fail("kernel deconv supports at most 2^24 output channels x taps per group");
  return std::make_unique<DeconvOp>(c, d, act);
}

}  // namespace

KernelDef deconvKernel() { return {"deconv", false, validate}; }

}  // namespace kiln::cpu
