// argmax: y = the index (i64) of the largest (or smallest) element along one
// axis. ints: [axis, findMin, selectLastIndex]; floats: none. x is f32, i32 or
// i64; y has x's shape with the axis set to 1 or removed. NaN counts as the
// extreme (numpy's and ONNX's reference behaviour); ties take the first index,
// or the last with selectLastIndex.
// hardmax: y (f32) = 1 at the first maximum along the axis, 0 elsewhere.
// ints: [axis]; floats: none.
// x is viewed as [outer, len, inner]; with inner > 1 a block of inner positions
// is scanned together so reads stay contiguous.
#include <algorithm>
#include <type_traits>

#include "kernel-reduce-rows.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

constexpr uint64_t kBlock = 256;

template <typename T, bool Min, bool Last>
inline bool take(T v, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (Last) return (Min ? v <= best : v >= best) || v != v;
    return (Min ? v < best : v > best) || (v != v && best == best);
  } else {
    return Last ? (Min ? v <= best : v >= best) : (Min ? v < best : v > best);
  }
}

// Best index along the axis for n inner positions starting at x (stride inner).
template <typename T, bool Min, bool Last>
void scan(const T* x, uint64_t len, uint64_t inner, uint64_t n, int64_t* idx) {
  if constexpr (std::is_same_v<T, float>) {
    if (inner == 1) {
      // A contiguous row: the extreme with the vectorized primitive (NaN wins there
      // too), then the first (or last) position holding it.
      const float m = Min ? rows::min(x, len) : rows::max(x, len);
      const bool nan = m != m;
      int64_t at = 0;
      for (uint64_t k = 0; k < len; ++k) {
        const uint64_t a = Last ? len - 1 - k : k;
        if (nan ? x[a] != x[a] : x[a] == m) {
          at = int64_t(a);
          break;
        }
      }
      *idx = at;
      return;
    }
  }
  if (inner == 1) {
    T best = x[0];
    int64_t at = 0;
    for (uint64_t a = 1; a < len; ++a)
      if (take<T, Min, Last>(x[a], best)) best = x[a], at = int64_t(a);
    *idx = at;
    return;
  }
  T best[kBlock];
  std::copy(x, x + n, best);
  std::fill(idx, idx + n, 0);
  for (uint64_t a = 1; a < len; ++a) {
    const T* xa = x + a * inner;
    for (uint64_t i = 0; i < n; ++i) {
      const bool t = take<T, Min, Last>(xa[i], best[i]);
      best[i] = t ? xa[i] : best[i];
      idx[i] = t ? int64_t(a) : idx[i];
    }
  }
}

using ScanFn = void (*)(const void*, uint64_t, uint64_t, uint64_t, int64_t*);

template <typename T, bool Min, bool Last>
void scanErased(const void* x, uint64_t len, uint64_t inner, uint64_t n, int64_t* idx) {
  scan<T, Min, Last>(static_cast<const T*>(x), len, inner, n, idx);
}

template <typename T>
ScanFn pick(bool findMin, bool last) {
  if (findMin) return last ? scanErased<T, true, true> : scanErased<T, true, false>;
  return last ? scanErased<T, false, true> : scanErased<T, false, false>;
}

class ArgOp final : public LayerOp {
 public:
  ArgOp(uint32_t x, uint32_t y, size_t elemBytes, ScanFn fn, bool hardmax, uint64_t outer, uint64_t len, uint64_t inner)
      : x_(x), y_(y), elemBytes_(elemBytes), fn_(fn), hardmax_(hardmax), outer_(outer), len_(len), inner_(inner) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* x = ctx.data<const uint8_t>(x_);
    const uint64_t blocks = (inner_ + kBlock - 1) / kBlock;
    const uint64_t perItem = len_ * std::min(inner_, kBlock);
    const size_t grain = perItem >= 8192 ? 1 : static_cast<size_t>(8192 / perItem);
    ctx.pool->parallelRanges(outer_ * blocks, grain, [&](size_t b, size_t e) {
      int64_t idx[kBlock];
      for (size_t item = b; item < e; ++item) {
        const uint64_t o = item / blocks, i0 = (item % blocks) * kBlock, n = std::min(kBlock, inner_ - i0);
        fn_(x + (o * len_ * inner_ + i0) * elemBytes_, len_, inner_, n, idx);
        if (!hardmax_) {
          std::copy(idx, idx + n, ctx.data<int64_t>(y_) + o * inner_ + i0);
          continue;
        }
        float* y = ctx.data<float>(y_) + o * len_ * inner_ + i0;
        for (uint64_t a = 0; a < len_; ++a)
          for (uint64_t i = 0; i < n; ++i) y[a * inner_ + i] = idx[i] == int64_t(a) ? 1.f : 0.f;
      }
    });
  }

 private:
  uint32_t x_, y_;
  size_t elemBytes_;
  ScanFn fn_;
  bool hardmax_;
  uint64_t outer_, len_, inner_;
};

std::unique_ptr<LayerOp> build(const LayerCheck& c, bool hardmax) {
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const char* name = hardmax ? "hardmax" : "argmax";
  if (x.shape.empty()) c.fail(cat("kernel ", name, " needs an input of rank >= 1"));
  const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
  const bool findMin = !hardmax && c.intIn(1, 0, 1, "findMin flag");
  const bool last = !hardmax && c.intIn(2, 0, 1, "selectLastIndex flag");
  ScanFn fn = nullptr;
  if (x.dtype == DType::f32) fn = pick<float>(findMin, last);
  if (!hardmax && x.dtype == DType::i32) fn = pick<int32_t>(findMin, last);
  if (!hardmax && x.dtype == DType::i64) fn = pick<int64_t>(findMin, last);
  if (!fn) c.fail(cat("kernel ", name, " supports ", hardmax ? "f32" : "f32, i32 and i64", "; input ", LayerCheck::describe(x)));
  Shape keep = x.shape, drop = x.shape;
  keep[axis] = 1;
  drop.erase(drop.begin() + axis);
  if (hardmax ? (y.dtype != DType::f32 || y.shape != x.shape) : (y.dtype != DType::i64 || (y.shape != keep && y.shape != drop)))
    c.fail(cat("kernel ", name, " expects output ",
               hardmax ? typeString(DType::f32, x.shape) : cat(typeString(DType::i64, keep), " or ", typeString(DType::i64, drop)),
               " for input ", LayerCheck::describe(x), ", got ", LayerCheck::describe(y)));
  uint64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= uint64_t(x.shape[i]);
  for (size_t i = size_t(axis) + 1; i < x.shape.size(); ++i) inner *= uint64_t(x.shape[i]);
  return std::make_unique<ArgOp>(c.inputId(0), c.outputId(0), dtypeSize(x.dtype), fn, hardmax, outer,
                                 uint64_t(x.shape[axis]), inner);
}

std::unique_ptr<LayerOp> validateArgmax(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(3, "[axis, findMin, selectLastIndex]");
  c.floatCount(0, "(none)");
  return build(c, false);
}

std::unique_ptr<LayerOp> validateHardmax(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(1, "[axis]");
  c.floatCount(0, "(none)");
  return build(c, true);
}

}  // namespace

KernelDef argmaxKernel() { return {"argmax", false, validateArgmax}; }
KernelDef hardmaxKernel() { return {"hardmax", false, validateHardmax}; }

}  // namespace kiln::cpu
