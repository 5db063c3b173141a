// transpose: y = x with dims permuted (y.shape[i] = x.shape[perm[i]]), any
// dtype, moved as 1/2/4/8-byte words.
// ints: perm (length == rank, a permutation of 0..rank-1). floats: none.
#include <cstring>

#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class TransposeOp final : public LayerOp {
 public:
  TransposeOp(uint32_t x, uint32_t y, size_t elemSize, std::vector<int64_t> dims, std::vector<int64_t> srcStrides)
      : x_(x), y_(y), elemSize_(elemSize), dims_(std::move(dims)), srcStrides_(std::move(srcStrides)) {}

  void run(const RunContext& ctx) const override {
    switch (elemSize_) {
      case 1: return runAs<uint8_t>(ctx);
      case 2: return runAs<uint16_t>(ctx);
      case 4: return runAs<uint32_t>(ctx);
      default: return runAs<uint64_t>(ctx);
    }
  }

 private:
  // Walks y in order (writes stay sequential); each row of y gathers from x
  // with the innermost source stride.
  template <typename T>
  void runAs(const RunContext& ctx) const {
    const T* x = ctx.data<const T>(x_);
    T* y = ctx.data<T>(y_);
    const int64_t inner = dims_.back(), innerStride = srcStrides_.back();
    uint64_t rows = 1;
    for (size_t i = 0; i + 1 < dims_.size(); ++i) rows *= static_cast<uint64_t>(dims_[i]);
    const size_t grain = inner >= 4096 ? 1 : static_cast<size_t>(4096 / inner);
    ctx.pool->parallelRanges(rows, grain, [&](size_t rb, size_t re) {
      for (size_t row = rb; row < re; ++row) {
        int64_t src = 0;
        uint64_t rest = row;
        for (size_t i = dims_.size() - 1; i-- > 0;) {
          src += static_cast<int64_t>(rest % static_cast<uint64_t>(dims_[i])) * srcStrides_[i];
          rest /= static_cast<uint64_t>(dims_[i]);
        }
        T* out = y + row * static_cast<uint64_t>(inner);
        if (innerStride == 1) {
          std::memcpy(out, x + src, static_cast<size_t>(inner) * sizeof(T));
        } else {
          for (int64_t j = 0; j < inner; ++j) out[j] = x[src + j * innerStride];
        }
      }
    });
  }

  uint32_t x_, y_;
  size_t elemSize_;
  std::vector<int64_t> dims_;        // y's dims, merged where x is contiguous too
  std::vector<int64_t> srcStrides_;  // x's element stride for each of those dims
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const size_t rank = x.shape.size();
  c.intCount(rank, "(a permutation of the input's dims)");
  c.floatCount(0, "(none)");
  if (x.dtype != y.dtype)
    c.fail(cat("kernel transpose keeps the dtype; input ", LayerCheck::describe(x), ", output ", LayerCheck::describe(y)));
  std::vector<bool> used(rank, false);
  Shape expect(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t p = c.ints()[i];
    if (p < 0 || p >= int64_t(rank) || used[p]) c.fail(cat("perm ", listString(c.ints()), " is not a permutation of 0..", rank - 1));
    used[p] = true;
    expect[i] = x.shape[p];
  }
  if (y.shape != expect)
    c.fail(cat("kernel transpose with perm ", listString(c.ints()), " expects output ", typeString(x.dtype, expect),
               " for input ", typeString(x.dtype, x.shape), ", got ", typeString(y.dtype, y.shape)));

  std::vector<int64_t> xStrides(rank, 1);
  for (size_t i = rank; i-- > 1;) xStrides[i - 1] = xStrides[i] * x.shape[i];
  std::vector<int64_t> dims, strides;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t d = y.shape[i], s = xStrides[c.ints()[i]];
    if (d == 1) continue;
    if (!dims.empty() && strides.back() == s * d) {
      dims.back() *= d;
      strides.back() = s;
      continue;
    }
    dims.push_back(d);
    strides.push_back(s);
  }
  if (dims.empty()) dims = {1}, strides = {1};
  return std::make_unique<TransposeOp>(c.inputId(0), c.outputId(0), dtypeSize(x.dtype), std::move(dims),
                                       std::move(strides));
}

}  // namespace

KernelDef transposeKernel() { return {"transpose", false, validate}; }

}  // namespace kiln::cpu
