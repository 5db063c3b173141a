// qconv-nhwc: a depthwise conv (groups == C) on NHWC i8 activations with
// per-channel i8 weights, exact i32 sums and the channel epilogue of int8-nhwc.h
// (dequantize by xScale * wScale[c], f32 bias, activation, f32 or i8 by outScale).
// 3x3 windows at strides 1x1 and 2x2 with a clamp activation (none, relu, clip) on
// AVX2 read the rows in place, a tile of outputs in registers (int8-depthwise.h);
// every other layer, and the portable build, takes the cores: per output pixel the
// taps are pointers to that input pixel's channels, or to a zero row where the
// window leaves the image.
// inputs: x i8 [N,H,W,C], w i8 [C,1,kh,kw] (weights), wScale f32[C] (weights),
// optional bias f32[C] (weights). ints: [strideH, strideW, padTop, padLeft,
// padBottom, padRight, dilationH, dilationW, activationCode, hasBias].
// floats: [alpha, beta, xScale, outScale].
#include <algorithm>
#include <cmath>
#include <vector>

#include "../aligned-buffer.h"

#include "int8-depthwise.h"
#include "int8-kernels.h"
#include "int8-nhwc.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class QConvNhwcOp final : public LayerOp {
 public:
  explicit QConvNhwcOp(const LayerCheck& c) {
    c.intCount(10, "[strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW, activationCode, hasBias]");
    c.floatCount(4, "[alpha, beta, xScale, outScale]");
    for (size_t i = 0; i < 8; ++i) p_[i] = size_t(c.intIn(i, i < 2 || i > 5 ? 1 : 0, 1 << 20, "window parameter"));
    const bool hasBias = c.intIn(9, 0, 1, "hasBias") == 1;
    c.inputs(hasBias ? 4 : 3, hasBias ? 4 : 3);
    c.outputs(1);
    act_ = c.activation(8);
    x_ = c.inputId(0);
    y_ = c.outputId(0);
    bias_ = hasBias ? int64_t(c.inputId(3)) : -1;
    const TensorDesc &xt = c.input(0), &wt = c.input(1), &st = c.input(2), &yt = c.output(0);
    if (xt.dtype != DType::i8 || wt.dtype != DType::i8) c.fail(cat("qconv-nhwc needs i8 x and w, got ", LayerCheck::describe(xt), " and ", LayerCheck::describe(wt)));
    if (xt.shape.size() != 4 || wt.shape.size() != 4 || yt.shape.size() != 4 || wt.shape[0] != xt.shape[3] || wt.shape[1] != 1 || yt.shape[3] != xt.shape[3] || yt.shape[0] != xt.shape[0])
      c.fail(cat("qconv-nhwc is depthwise: x [N,H,W,C], w [C,1,kh,kw], y [N,OH,OW,C], got ", LayerCheck::describe(xt), ", ", LayerCheck::describe(wt), " and ", LayerCheck::describe(yt)));
    if (wt.location != Location::weights || st.location != Location::weights) c.fail("int8 weights and their scales must be constants");
    n_ = size_t(xt.shape[0]); h_ = size_t(xt.shape[1]); w_ = size_t(xt.shape[2]); c_ = size_t(xt.shape[3]);
    kh_ = size_t(wt.shape[2]); kw_ = size_t(wt.shape[3]);
    oh_ = size_t(yt.shape[1]); ow_ = size_t(yt.shape[2]);
    // Every output pixel's window must start inside the padded input.
    if ((oh_ - 1) * p_[0] + (kh_ - 1) * p_[6] + 1 > h_ + p_[2] + p_[4] || (ow_ - 1) * p_[1] + (kw_ - 1) * p_[7] + 1 > w_ + p_[3] + p_[5])
      c.fail(cat("output ", LayerCheck::describe(yt), " does not fit the window over ", LayerCheck::describe(xt)));
    if (st.dtype != DType::f32 || size_t(elementCount(st.shape)) != c_) c.fail(cat("weight scales must be f32[", c_, "], got ", LayerCheck::describe(st)));
    if (hasBias && (c.input(3).dtype != DType::f32 || size_t(elementCount(c.input(3).shape)) != c_)) c.fail(cat("bias must be f32[", c_, "], got ", LayerCheck::describe(c.input(3))));
    const double xScale = c.floats()[2];
    outScale_ = float(c.floats()[3]);
    if (!(xScale > 0) || outScale_ < 0) c.fail(cat("xScale must be > 0 and outScale >= 0, got ", xScale, " and ", outScale_));
    if (yt.dtype != (outScale_ > 0 ? DType::i8 : DType::f32)) c.fail(cat("output ", LayerCheck::describe(yt), " must be ", outScale_ > 0 ? "i8 (outScale > 0)" : "f32 (outScale 0)"));
    const float* ws = c.constantF32(2);
    if (!ws) return;
    cores_ = &int8NhwcCores();
    const int8_t* w = reinterpret_cast<const int8_t*>(reinterpret_cast<const uint8_t*>(ws) - st.offset + wt.offset);
    pairs_ = depthwisePairs(kh_ * kw_);
    packed_.resize(c_ * pairs_ * 2);
    packDepthwise(w, c_, kh_ * kw_, packed_.data());
    multiplier_.resize(c_);
    for (size_t i = 0; i < c_; ++i) multiplier_[i] = float(xScale) * ws[i];
    zeros_.assign(c_ + 16, 0);
    const float* bias = hasBias ? c.constantF32(3) : nullptr;
#if defined(__x86_64__) || defined(_M_X64)
    const bool clamp = act_.kind == Act::none || act_.kind == Act::relu || act_.kind == Act::clip;
    rows3x3_ = cores_ != &kInt8NhwcGeneric && kh_ == 3 && kw_ == 3 && p_[6] == 1 && p_[7] == 1 && p_[0] == p_[1] && p_[0] <= 2 && clamp && (!hasBias || bias);
#endif
    if (rows3x3_) prepareRows3x3(w, bias);
  }

  void run(const RunContext& ctx) const override {
    if (rows3x3_) {
      runRows3x3(ctx);
      return;
    }
    const int8_t* x = ctx.data<const int8_t>(x_);
    const float* bias = bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr;
    uint8_t* y = ctx.data<uint8_t>(y_);
    const size_t esize = outScale_ > 0 ? 1 : 4;
    const Int8ChannelEpilogue e{nullptr, multiplier_.data(), bias, nullptr, 0.f, act_, outScale_};
    ctx.pool->parallelFor(n_ * oh_, [&](size_t row) {
      static thread_local std::vector<int32_t> acc;
      if (acc.size() < c_) acc.resize(c_);
      const size_t n = row / oh_, oy = row % oh_;
      const int8_t* taps[64];
      std::vector<const int8_t*> many;
      const int8_t** t = 2 * pairs_ <= 64 ? taps : (many.resize(2 * pairs_), many.data());
      for (size_t ox = 0; ox < ow_; ++ox) {
        size_t i = 0;
        for (size_t ky = 0; ky < kh_; ++ky) {
          const ptrdiff_t iy = ptrdiff_t(oy * p_[0] + ky * p_[6]) - ptrdiff_t(p_[2]);
          for (size_t kx = 0; kx < kw_; ++kx, ++i) {
            const ptrdiff_t ix = ptrdiff_t(ox * p_[1] + kx * p_[7]) - ptrdiff_t(p_[3]);
            const bool inside = iy >= 0 && iy < ptrdiff_t(h_) && ix >= 0 && ix < ptrdiff_t(w_);
            t[i] = inside ? x + ((n * h_ + size_t(iy)) * w_ + size_t(ix)) * c_ : zeros_.data();
          }
        }
        for (; i < 2 * pairs_; ++i) t[i] = zeros_.data();
        cores_->depthwise(t, pairs_, packed_.data(), c_, acc.data());
        cores_->finish(acc.data(), c_, e, y + ((n * oh_ + oy) * ow_ + ox) * c_ * esize);
      }
    });
  }

 private:
  // The row kernel's operands: per block of 8 channels (16 for the zmm rows) the weights as i16 tap pairs,
  // multiplier and bias padded to whole blocks with zeros (64-byte aligned: a zmm load
  // that crosses a cache line costs two), a zero input row.
  void prepareRows3x3(const int8_t* w, const float* bias) {
    // The zmm rows (int8-depthwise-avx512.cc) go with the AVX-512 cores: the same cpuid and KILN_INT8_TILE rules.
    zmm_ = cores_ == &kInt8NhwcAvx512;
    const size_t width = zmm_ ? 16 : 8;
    blocks_ = (c_ + width - 1) / width;
#if defined(__x86_64__) || defined(_M_X64)
    wpairs_.reset(blocks_ * (zmm_ ? kDw3x3Pairs16PerBlock : kDw3x3PairsPerBlock) * sizeof(int16_t));
    if (zmm_) packDw3x3Pairs16(w, c_, wpairs_.as<int16_t>());
    else packDw3x3Pairs(w, c_, wpairs_.as<int16_t>());
#endif
    const auto padded = [&](AlignedBuffer& to, const float* from) {
      to.reset(blocks_ * width * (zmm_ ? 2 : 1) * sizeof(float));
      std::fill(std::copy(from, from + c_, to.as<float>()), to.as<float>() + blocks_ * width * (zmm_ ? 2 : 1), 0.f);
      if (zmm_)
        for (size_t ch = 0; ch < c_ / 64 * 64; ++ch) to.as<float>()[blocks_ * width + dw3x3GroupSlot(ch)] = from[ch];
    };
    padded(mpad_, multiplier_.data());
    if (bias) padded(bpad_, bias);
    zeroRow_.assign(w_ * c_, 0);
    // The largest |v| an output can reach (|sum| <= 9 * 128 * 128), with room for rounding.
    double most = 0;
    for (size_t ch = 0; ch < c_; ++ch) most = std::max(most, 9 * 128 * 128 * std::abs(double(multiplier_[ch])) + (bias ? std::abs(double(bias[ch])) : 0.0));
    codesFit_ = outScale_ > 0 && most / outScale_ < double(1 << 29);
  }

  // Items of (image, band of output rows, group of blocks), about 8 per thread, as
  // the fp32 NHWC depthwise.
  void runRows3x3(const RunContext& ctx) const {
    const int8_t* x = ctx.data<const int8_t>(x_);
    uint8_t* y = ctx.data<uint8_t>(y_);
    // Stride 1 takes 4 output rows a call (its widest tile), stride 2 takes 2.
    const size_t esize = outScale_ > 0 ? 1 : 4, want = 8 * ctx.pool->threads(), step = p_[0] == 1 ? 4 : 2;
    size_t band = 8;
    while (band > step && n_ * ((oh_ + band - 1) / band) < want) band /= 2;
    const size_t bands = (oh_ + band - 1) / band;
    size_t groups = 1;
    while (n_ * bands * groups < want && groups * 2 <= blocks_) groups *= 2;
    ctx.pool->parallelFor(n_ * bands * groups, [&](size_t item) {
      const size_t g = item % groups, nb = item / groups;
      const size_t n = nb / bands, oy0 = nb % bands * band, oy1 = std::min(oh_, oy0 + band);
      const int8_t* image = x + n * h_ * w_ * c_;
      for (size_t oy = oy0; oy < oy1; oy += step) {
        const size_t nrows = std::min(step, oy1 - oy);
        const int8_t* in[6];
        for (size_t i = 0; i < (nrows - 1) * p_[0] + 3; ++i) {
          const ptrdiff_t iy = ptrdiff_t(oy * p_[0] + i) - ptrdiff_t(p_[2]);
          in[i] = iy < 0 || iy >= ptrdiff_t(h_) ? zeroRow_.data() : image + size_t(iy) * w_ * c_;
        }
        void* out[4];
        for (size_t j = 0; j < nrows; ++j) out[j] = y + (n * oh_ + oy + j) * ow_ * c_ * esize;
        const QDw3x3Rows a{in, long(nrows), long(w_), long(c_), long(p_[0]), long(p_[1]), long(p_[3]), wpairs_.as<const int16_t>(), mpad_.as<const float>(),
                           bpad_.as<const float>(), long(blocks_ * g / groups), long(blocks_ * (g + 1) / groups),
                           act_, outScale_, codesFit_, out, long(ow_)};
#if defined(__x86_64__) || defined(_M_X64)
        if (zmm_) qdw3x3RowsAvx512(a);
        else if (cores_ == &kInt8NhwcVnni) qdw3x3RowsVnni(a);
        else qdw3x3RowsAvx2(a);
#else
        (void)a;
#endif
      }
    });
  }

  size_t p_[8];
  Activation act_;
  uint32_t x_, y_;
  int64_t bias_;
  size_t n_, h_, w_, c_, kh_, kw_, oh_, ow_, pairs_ = 0;
  float outScale_ = 0;
  const Int8NhwcCores* cores_ = nullptr;
  std::vector<int16_t> packed_;
  std::vector<float> multiplier_;
  std::vector<int8_t> zeros_;
  bool rows3x3_ = false, codesFit_ = false, zmm_ = false;
  size_t blocks_ = 0;
  AlignedBuffer mpad_, bpad_, wpairs_;
  std::vector<int8_t> zeroRow_;
};

std::unique_ptr<LayerOp> validateQConvNhwc(const LayerCheck& c) { return std::make_unique<QConvNhwcOp>(c); }

}  // namespace

KernelDef qconvNhwcKernel() { return {"qconv-nhwc", false, validateQConvNhwc}; }

}  // namespace kiln::cpu
