// topk: the k largest (or smallest) elements along one axis and their i64
// indices. inputs: x (f32, i32 or i64); outputs: values (x's dtype), indices
// (i64), both x's shape with the axis set to k. ints: [axis, k, largest,
// sorted]; floats: none. Results are always sorted (largest first, or
// smallest first), which is a valid answer for sorted = 0 as well; equal
// values keep the lower index first, and NaN counts as larger than every
// number (so it comes first for largest, last for smallest).
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

template <typename T>
inline bool above(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) return a > b || (a != a && b == b);
  return a > b;
}

using TopFn = void (*)(const void* x, void* values, int64_t* indices, uint64_t len, uint64_t stride, uint64_t k,
                       bool largest);

// One slice: `len` elements `stride` apart; writes k values and indices, `stride` apart.
template <typename T>
void topSlice(const void* xv, void* vv, int64_t* idx, uint64_t len, uint64_t stride, uint64_t k, bool largest) {
  const T* x = static_cast<const T*>(xv);
  T* values = static_cast<T*>(vv);
  thread_local std::vector<std::pair<T, int64_t>> items;  // reused: no allocation per slice
  items.resize(len);
  for (uint64_t a = 0; a < len; ++a) items[a] = {x[a * stride], int64_t(a)};
  auto before = [largest](const std::pair<T, int64_t>& p, const std::pair<T, int64_t>& q) {
    const bool pq = largest ? above(p.first, q.first) : above(q.first, p.first);
    const bool qp = largest ? above(q.first, p.first) : above(p.first, q.first);
    return pq || (!qp && p.second < q.second);
  };
  std::partial_sort(items.begin(), items.begin() + k, items.end(), before);
  for (uint64_t j = 0; j < k; ++j) {
    values[j * stride] = items[j].first;
    idx[j * stride] = items[j].second;
  }
}

class TopKOp final : public LayerOp {
 public:
  TopKOp(const LayerCheck& c, TopFn fn, size_t elemBytes, uint64_t outer, uint64_t len, uint64_t inner, uint64_t k,
         bool largest)
      : x_(c.inputId(0)), values_(c.outputId(0)), indices_(c.outputId(1)), fn_(fn), elemBytes_(elemBytes),
        outer_(outer), len_(len), inner_(inner), k_(k), largest_(largest) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* x = ctx.data<const uint8_t>(x_);
    uint8_t* values = ctx.data<uint8_t>(values_);
    int64_t* indices = ctx.data<int64_t>(indices_);
    const size_t grain = len_ >= 4096 ? 1 : static_cast<size_t>(4096 / len_);
    ctx.pool->parallelRanges(outer_ * inner_, grain, [&](size_t b, size_t e) {
      for (size_t s = b; s < e; ++s) {
        const uint64_t o = s / inner_, i = s % inner_;
        const uint64_t in = o * len_ * inner_ + i, out = o * k_ * inner_ + i;
        fn_(x + in * elemBytes_, values + out * elemBytes_, indices + out, len_, inner_, k_, largest_);
      }
    });
  }

 private:
  uint32_t x_, values_, indices_;
  TopFn fn_;
  size_t elemBytes_;
  uint64_t outer_, len_, inner_, k_;
  bool largest_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(2);
  c.intCount(4, "[axis, k, largest, sorted]");
  c.floatCount(0, "(none)");
  const TensorDesc &x = c.input(0), &values = c.output(0), &indices = c.output(1);
  TopFn fn = x.dtype == DType::f32 ? topSlice<float> : x.dtype == DType::i32 ? topSlice<int32_t>
           : x.dtype == DType::i64 ? topSlice<int64_t> : nullptr;
  if (!fn) c.fail(cat("kernel topk supports f32, i32 and i64; input ", LayerCheck::describe(x)));
  if (x.shape.empty()) c.fail("kernel topk needs an input of rank >= 1");
  const int64_t axis = c.intIn(0, 0, int64_t(x.shape.size()) - 1, "axis");
  const int64_t k = c.intIn(1, 1, x.shape[axis], "k");
  const bool largest = c.intIn(2, 0, 1, "largest flag");
  c.intIn(3, 0, 1, "sorted flag");
  Shape want = x.shape;
  want[axis] = k;
  if (values.dtype != x.dtype || values.shape != want)
    c.fail(cat("kernel topk expects values ", typeString(x.dtype, want), ", got ", LayerCheck::describe(values)));
  if (indices.dtype != DType::i64 || indices.shape != want)
    c.fail(cat("kernel topk expects indices ", typeString(DType::i64, want), ", got ", LayerCheck::describe(indices)));
  uint64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= uint64_t(x.shape[i]);
  for (size_t i = size_t(axis) + 1; i < x.shape.size(); ++i) inner *= uint64_t(x.shape[i]);
  return std::make_unique<TopKOp>(c, fn, dtypeSize(x.dtype), outer, uint64_t(x.shape[axis]), inner, uint64_t(k), largest);
}

}  // namespace

KernelDef topkKernel() { return {"topk", false, validate}; }

}  // namespace kiln::cpu
