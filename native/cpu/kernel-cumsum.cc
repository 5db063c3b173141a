// cumsum: running sums along one axis. ints: [axis, exclusive, reverse];
// floats: none. x and y share dtype and shape: f32 (summed in f64), i32 or
// i64 (wrapping). Exclusive sums leave out the element itself (the first is
// 0); reverse runs from the end of the axis. x is viewed as [outer, len,
// inner] and a block of inner positions is scanned together.
#include <algorithm>
#include <type_traits>

#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

constexpr uint64_t kBlock = 256;

// Accumulator type: f64 for floats, uint64 (two's-complement wrap) for integers.
template <typename T>
using Acc = std::conditional_t<std::is_floating_point_v<T>, double, uint64_t>;

template <typename T>
void scanBlock(const T* x, T* y, uint64_t len, uint64_t inner, uint64_t n, bool exclusive, bool reverse) {
  if (inner == 1) {
    // One contiguous row: a plain running sum, read before write (so y may be x).
    Acc<T> acc = 0;
    const int64_t step = reverse ? -1 : 1;
    int64_t a = reverse ? int64_t(len) - 1 : 0;
    for (uint64_t s = 0; s < len; ++s, a += step) {
      const Acc<T> v = Acc<T>(x[a]);
      y[a] = T(exclusive ? acc : acc + v);
      acc += v;
    }
    return;
  }
  Acc<T> acc[kBlock] = {};
  for (uint64_t s = 0; s < len; ++s) {
    const uint64_t a = reverse ? len - 1 - s : s;
    const T* xa = x + a * inner;
    T* ya = y + a * inner;
    for (uint64_t i = 0; i < n; ++i) {
      const Acc<T> v = Acc<T>(xa[i]);
      const Acc<T> next = acc[i] + v;
      ya[i] = T(exclusive ? acc[i] : next);
      acc[i] = next;
    }
  }
}

using ScanFn = void (*)(const void*, void*, uint64_t, uint64_t, uint64_t, bool, bool);

template <typename T>
void scanErased(const void* x, void* y, uint64_t len, uint64_t inner, uint64_t n, bool exclusive, bool reverse) {
  scanBlock(static_cast<const T*>(x), static_cast<T*>(y), len, inner, n, exclusive, reverse);
}

class CumSumOp final : public LayerOp {
 public:
  CumSumOp(uint32_t x, uint32_t y, ScanFn fn, size_t elemBytes, uint64_t outer, uint64_t len, uint64_t inner,
           bool exclusive, bool reverse)
      : x_(x), y_(y), fn_(fn), elemBytes_(elemBytes), outer_(outer), len_(len), inner_(inner), exclusive_(exclusive),
        reverse_(reverse) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* x = ctx.data<const uint8_t>(x_);
    uint8_t* y = ctx.data<uint8_t>(y_);
    const uint64_t blocks = (inner_ + kBlock - 1) / kBlock;
    const uint64_t perItem = len_ * std::min(inner_, kBlock);
    const size_t grain = perItem >= 16384 ? 1 : static_cast<size_t>(16384 / perItem);
    ctx.pool->parallelRanges(outer_ * blocks, grain, [&](size_t b, size_t e) {
      for (size_t item = b; item < e; ++item) {
        const uint64_t o = item / blocks, i0 = (item % blocks) * kBlock;
        const uint64_t at = (o * len_ * inner_ + i0) * elemBytes_;
        fn_(x + at, y + at, len_, inner_, std::min(kBlock, inner_ - i0), exclusive_, reverse_);
      }
    });
  }

 private:
  uint32_t x_, y_;
  ScanFn fn_;
  size_t elemBytes_;
  uint64_t outer_, len_, inner_;
  bool exclusive_, reverse_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(3, "[axis, exclusive, reverse]");
  c.floatCount(0, "(none)");
  const TensorDesc &x = c.input(0), &y = c.output(0);
  ScanFn fn = x.dtype == DType::f32 ? scanErased<float> : x.dtype == DType::i32 ? scanErased<int32_t>
            : x.dtype == DType::i64 ? scanErased<int64_t> : nullptr;
  if (!fn) c.fail(cat("kernel cumsum supports f32, i32 and i64; input ", LayerCheck::describe(x)));
  if (x.shape.empty()) c.fail("kernel cumsum needs an input of rank >= 1");
  if (y.dtype != x.dtype || y.shape != x.shape)
    c.fail(cat("kernel cumsum expects output ", typeString(x.dtype, x.shape), ", got ", LayerCheck::describe(y)));
  const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
  const bool exclusive = c.intIn(1, 0, 1, "exclusive flag"), reverse = c.intIn(2, 0, 1, "reverse flag");
  uint64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= uint64_t(x.shape[i]);
  for (size_t i = size_t(axis) + 1; i < x.shape.size(); ++i) inner *= uint64_t(x.shape[i]);
  return std::make_unique<CumSumOp>(c.inputId(0), c.outputId(0), fn, dtypeSize(x.dtype), outer,
                                    uint64_t(x.shape[axis]), inner, exclusive, reverse);
}

}  // namespace

KernelDef cumsumKernel() { return {"cumsum", false, validate}; }

}  // namespace kiln::cpu
