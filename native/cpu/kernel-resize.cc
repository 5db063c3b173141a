// resize: ONNX Resize (no tf_crop_and_resize). ints: [mode (0 nearest,
// 1 linear, 2 cubic), coordinate mode (0 half_pixel, 1 half_pixel_symmetric,
// 2 pytorch_half_pixel, 3 align_corners, 4 asymmetric, 5 tf_half_pixel_for_nn),
// nearest mode (0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil),
// excludeOutside, antialias]; floats: [cubicA, scales[rank]]. Output extents
// come from the output tensor.
// Every dim is interpolated separately: at load each output coordinate of
// each dim gets its taps (input index, weight), exactly as the interpreter
// derives them. nearest copies elements of any dtype through index tables;
// linear and cubic compute in f32 and interpolate the last two dims (every
// other dim must map output to input one to one, as NCHW images do).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "kernels.h"
#include "layer-check.h"
#include "layout-view.h"

namespace kiln::cpu {
namespace {

struct Taps {
  int count = 1;               // taps per output coordinate
  std::vector<int64_t> index;  // [out][count], clamped into the input
  std::vector<float> weight;   // [out][count]
};

double originalCoordinate(double x, double in, double out, double scale, int64_t mode) {
  const double length = scale * in;  // before floor, as the ONNX reference measures it
  switch (mode) {
    case 1: return (in / 2) * (1 - out / length) + (x + 0.5) / scale - 0.5;
    case 2: return length > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 3: return length == 1 ? 0 : x * (in - 1) / (length - 1);
    case 4: return x / scale;
    case 5: return (x + 0.5) / scale;
    default: return (x + 0.5) / scale - 0.5;
  }
}

double cubic(double t, double a) {
  const double d = std::fabs(t);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

// ints: [mode, coordinateMode, nearestMode, excludeOutside, antialias].
Taps dimTaps(int64_t in, int64_t out, double scale, const std::vector<int64_t>& ints, double a) {
  const int64_t mode = ints[0], nearest = ints[2];
  const bool exclude = ints[3] != 0, antialias = ints[4] != 0;
  // Taps run from left + first; antialias stretches the filter by 1/scale when downsampling.
  const double s = antialias ? std::min(scale, 1.0) : 1.0;
  const int64_t first = mode == 0 ? 0 : static_cast<int64_t>(std::floor((mode == 1 ? -1 : -2) / s)) + 1;
  Taps t;
  t.count = mode == 0 ? 1 : static_cast<int>(2 - 2 * first);
  auto clampIndex = [in](int64_t i) { return i < 0 ? 0 : i >= in ? in - 1 : i; };
  std::vector<double> w(t.count);
  for (int64_t x = 0; x < out; ++x) {
    const double orig = originalCoordinate(double(x), double(in), double(out), scale, ints[1]);
    // The left neighbour is preferred: ratio lies in (0, 1].
    const int64_t left = static_cast<int64_t>(std::ceil(orig)) - 1;
    const double r = orig - double(left);
    if (mode == 0) {
      const bool right = r == 1 || nearest == 3 || (nearest == 0 && r > 0.5) || (nearest == 1 && r >= 0.5);
      t.index.push_back(clampIndex(right ? left + 1 : left));
      t.weight.push_back(1);
      continue;
    }
    double sum = 0;
    for (int k = 0; k < t.count; ++k) {
      const double d = (double(first + k) - r) * s;
      w[k] = mode == 1 ? std::max(0.0, 1 - std::fabs(d)) : cubic(d, a);
      sum += w[k];
    }
    if (antialias)
      for (double& v : w) v /= sum;
    if (exclude) {
      sum = 0;
      for (int k = 0; k < t.count; ++k) {
        const int64_t i = left + first + k;
        if (i < 0 || i >= in) w[k] = 0;
        sum += w[k];
      }
      for (double& v : w) v /= sum;
    }
    for (int k = 0; k < t.count; ++k) {
      t.index.push_back(clampIndex(left + first + k));
      t.weight.push_back(static_cast<float>(w[k]));
    }
  }
  return t;
}

// The input coordinate output coordinate i reads when it is a plain lookup:
// its taps, merged by (clamped) index, put all the weight on one index. A
// dim of size 1 always is; -1 when the coordinate really interpolates.
int64_t singleTap(const Taps& t, int64_t i) {
  int64_t found = -1;
  double weight = 0;
  for (int k = 0; k < t.count; ++k) {
    const float w = t.weight[i * t.count + k];
    const int64_t j = t.index[i * t.count + k];
    if (w == 0) continue;
    if (found >= 0 && j != found) return -1;
    found = j;
    weight += w;
  }
  return std::fabs(weight - 1) < 1e-6 ? found : -1;
}

// Horizontal interpolation of one input row: out[x] = sum_k w[k][x] * row[idx[k][x]].
template <int K>
void interpolateRow(float* out, const float* row, const int32_t* idx, const float* w, int64_t n) {
  for (int64_t x = 0; x < n; ++x) {
    float s = 0;
    for (int k = 0; k < K; ++k) s += w[k * n + x] * row[idx[k * n + x]];
    out[x] = s;
  }
}

// The same for any tap count (antialiased downsampling), tap by tap.
void interpolateRow(float* out, const float* row, const int32_t* idx, const float* w, int64_t n, int count) {
  if (count == 2) return interpolateRow<2>(out, row, idx, w, n);
  if (count == 4) return interpolateRow<4>(out, row, idx, w, n);
  std::fill(out, out + n, 0.f);
  for (int k = 0; k < count; ++k)
    for (int64_t x = 0; x < n; ++x) out[x] += w[k * n + x] * row[idx[k * n + x]];
}

class ResizeOp final : public LayerOp {
 public:
  ResizeOp(uint32_t x, uint32_t y, size_t elemSize, Shape in, Shape out, std::vector<Taps> taps, bool interpolate)
      : x_(x), y_(y), elemSize_(elemSize), in_(std::move(in)), out_(std::move(out)), taps_(std::move(taps)),
        interpolate_(interpolate), xs_(denseStrides(in_)) {
    if (!interpolate_) return;
    // The last dim's taps, tap-major, so a row interpolation streams them.
    const Taps& t = taps_.back();
    const int64_t n = out_.back();
    hIndex_.resize(t.count * n);
    hWeight_.resize(t.count * n);
    for (int64_t x = 0; x < n; ++x)
      for (int k = 0; k < t.count; ++k) {
        hIndex_[k * n + x] = static_cast<int32_t>(t.index[x * t.count + k]);
        hWeight_[k * n + x] = t.weight[x * t.count + k];
      }
    // A rank-1 resize has one (virtual) row of weight 1.
    if (out_.size() == 1) rowTaps_.index = {0}, rowTaps_.weight = {1};
    else rowTaps_ = taps_[out_.size() - 2];
  }

  void run(const RunContext& ctx) const override {
    if (interpolate_) return runInterpolate(ctx);
    switch (elemSize_) {
      case 1: return runNearest<uint8_t>(ctx);
      case 2: return runNearest<uint16_t>(ctx);
      case 4: return runNearest<uint32_t>(ctx);
      default: return runNearest<uint64_t>(ctx);
    }
  }

 private:
  // Element offset in x of output row `row` over the first `dims` dims, all plain lookups.
  int64_t rowSource(uint64_t row, size_t dims) const {
    int64_t src = 0;
    for (size_t d = dims; d-- > 0;) {
      src += taps_[d].index[row % static_cast<uint64_t>(out_[d]) * taps_[d].count] * xs_[d];
      row /= static_cast<uint64_t>(out_[d]);
    }
    return src;
  }

  template <typename T>
  void runNearest(const RunContext& ctx) const {
    const T* x = ctx.data<const T>(x_);
    T* y = ctx.data<T>(y_);
    const size_t last = out_.size() - 1;
    const int64_t width = out_[last];
    const int64_t* cols = taps_[last].index.data();
    uint64_t rows = 1;
    for (size_t d = 0; d < last; ++d) rows *= static_cast<uint64_t>(out_[d]);
    const size_t grain = width >= 4096 ? 1 : static_cast<size_t>(4096 / width);
    ctx.pool->parallelRanges(rows, grain, [&](size_t b, size_t e) {
      int64_t previous = -1;
      for (size_t row = b; row < e; ++row) {
        T* out = y + row * static_cast<uint64_t>(width);
        const int64_t src = rowSource(row, last);
        // Upsampling repeats source rows: copy the row just written.
        if (src == previous) {
          std::memcpy(out, out - width, static_cast<size_t>(width) * sizeof(T));
          continue;
        }
        previous = src;
        for (int64_t i = 0; i < width; ++i) out[i] = x[src + cols[i]];
      }
    });
  }

  // Separable: input rows are interpolated along the last dim once into a
  // small cache (consecutive output rows share them when upsampling), then
  // each output row is a weighted sum of cached rows.
  void runInterpolate(const RunContext& ctx) const {
    const float* x = ctx.data<const float>(x_);
    float* y = ctx.data<float>(y_);
    const size_t rank = out_.size();
    const bool flat = rank == 1;
    const int64_t outH = flat ? 1 : out_[rank - 2], outW = out_[rank - 1], inW = in_[rank - 1];
    const int64_t inH = flat ? 1 : in_[rank - 2];
    const size_t planeDims = flat ? 0 : rank - 2;
    uint64_t planes = 1;
    for (size_t d = 0; d < planeDims; ++d) planes *= static_cast<uint64_t>(out_[d]);
    const int hCount = taps_.back().count, vCount = flat ? 1 : rowTaps_.count;
    // One cached row per vertical tap is enough: an output row never needs more.
    const int kSlots = std::max(vCount, 4);
    const size_t grain = outW >= 1024 ? 1 : static_cast<size_t>(1024 / outW);
    ctx.pool->parallelRanges(planes * static_cast<uint64_t>(outH), grain, [&](size_t b, size_t e) {
      std::vector<float> cache(kSlots * static_cast<size_t>(outW));
      std::vector<int64_t> keys(kSlots, -1);
      std::vector<const float*> rows(kSlots);
      std::vector<float> weights(kSlots);
      std::vector<char> taken(kSlots);
      for (size_t item = b; item < e; ++item) {
        const uint64_t plane = item / static_cast<uint64_t>(outH);
        const int64_t oy = static_cast<int64_t>(item % static_cast<uint64_t>(outH));
        const float* source = x + rowSource(plane, planeDims);
        int n = 0;
        std::fill(taken.begin(), taken.end(), 0);
        for (int k = 0; k < vCount; ++k) {
          const float w = rowTaps_.weight[oy * vCount + k];
          if (w == 0) continue;
          const int64_t iy = rowTaps_.index[oy * vCount + k], key = static_cast<int64_t>(plane) * inH + iy;
          int slot = 0;
          while (slot < kSlots && keys[slot] != key) ++slot;
          if (slot == kSlots) {
            slot = 0;
            while (taken[slot]) ++slot;  // at most vCount <= kSlots rows are in use
            keys[slot] = key;
            const float* row = source + iy * inW;
            float* h = cache.data() + slot * outW;
            interpolateRow(h, row, hIndex_.data(), hWeight_.data(), outW, hCount);
          }
          taken[slot] = 1;
          rows[n] = cache.data() + slot * outW;
          weights[n++] = w;
        }
        float* out = y + item * static_cast<uint64_t>(outW);
        if (n == 0) {  // every weight zero (excludeOutside with nothing inside)
          std::fill(out, out + outW, 0.f);
          continue;
        }
        for (int64_t ox = 0; ox < outW; ++ox) out[ox] = weights[0] * rows[0][ox];
        for (int k = 1; k < n; ++k)
          for (int64_t ox = 0; ox < outW; ++ox) out[ox] += weights[k] * rows[k][ox];
      }
    });
  }

  uint32_t x_, y_;
  size_t elemSize_;
  Shape in_, out_;
  std::vector<Taps> taps_;
  bool interpolate_;
  std::vector<int64_t> xs_;
  std::vector<int32_t> hIndex_;
  std::vector<float> hWeight_;
  Taps rowTaps_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const size_t rank = x.shape.size();
  c.intCount(5, "[mode, coordinateMode, nearestMode, excludeOutside, antialias]");
  c.floatCount(1 + rank, "[cubicA, scales[rank]]");
  if (x.dtype != y.dtype || y.shape.size() != rank || rank == 0)
    c.fail(cat("kernel resize keeps dtype and rank (>= 1); input ", LayerCheck::describe(x), ", output ",
               LayerCheck::describe(y)));
  const int64_t mode = c.intIn(0, 0, 2, "mode");
  c.intIn(1, 0, 5, "coordinate mode");
  c.intIn(2, 0, 3, "nearest mode");
  c.intIn(3, 0, 1, "excludeOutside");
  if (c.intIn(4, 0, 1, "antialias") == 1 && mode == 0) c.fail("kernel resize: antialias applies to linear and cubic, not nearest");
  if (mode != 0 && x.dtype != DType::f32)
    c.fail(cat("kernel resize interpolates (linear, cubic) f32 only; input ", LayerCheck::describe(x)));
  if (mode != 0 && x.shape.back() >= (int64_t(1) << 31))
    c.fail(cat("kernel resize interpolates rows of fewer than 2^31 elements; input ", LayerCheck::describe(x)));
  std::vector<Taps> taps;
  for (size_t d = 0; d < rank; ++d) {
    const double scale = c.floats()[1 + d];
    if (!(scale > 0) || !std::isfinite(scale)) c.fail(cat("scales[", d, "] must be positive and finite, got ", scale));
    // The antialias filter spans about 4/scale taps; the bound keeps the count an int.
    if (c.ints()[4] && scale < 1.0 / (1 << 20))
      c.fail(cat("kernel resize: antialias needs scales of at least 2^-20, scales[", d, "] is ", scale));
    taps.push_back(dimTaps(x.shape[d], y.shape[d], scale, c.ints(), c.floats()[0]));
  }
  // Dims before the interpolated pair become plain lookups (nearest's only tap).
  const size_t lookups = mode == 0 ? rank : rank < 2 ? 0 : rank - 2;
  for (size_t d = 0; mode != 0 && d < lookups; ++d) {
    Taps plain;
    for (int64_t i = 0; i < y.shape[d]; ++i) {
      const int64_t j = singleTap(taps[d], i);
      if (j < 0)
        c.fail(cat("kernel resize interpolates only the last two dims; dim ", d, " (", x.shape[d], " -> ", y.shape[d],
                   ", scale ", c.floats()[1 + d], ") of input ", LayerCheck::describe(x), " would need interpolation"));
      plain.index.push_back(j);
      plain.weight.push_back(1);
    }
    taps[d] = std::move(plain);
  }
  return std::make_unique<ResizeOp>(c.inputId(0), c.outputId(0), dtypeSize(x.dtype), x.shape, y.shape, std::move(taps),
                                    mode != 0);
}

}  // namespace

KernelDef resizeKernel() { return {"resize", false, validate}; }

}  // namespace kiln::cpu
