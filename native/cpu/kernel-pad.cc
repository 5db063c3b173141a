// pad: y = x padded (or, with negative pads, cropped) per dim, ONNX Pad, any
// dtype. ints: [mode (0 constant, 1 reflect, 2 edge, 3 wrap), begin[rank],
// end[rank]]; floats: [value] (constant mode's fill, cast to the dtype).
// At load every dim gets a table from output coordinate to input coordinate
// (-1: the fill value). A run copies rows: the part of a row inside the input
// is one memcpy, only the padded ends go through the table.
#include <algorithm>
#include <memory>

#include "kernels.h"
#include "layer-check.h"
#include "layout-scalar.h"
#include "layout-view.h"

namespace kiln::cpu {
namespace {

// Input coordinate of shifted output coordinate c in a dim of n, or -1.
int64_t padSource(int64_t c, int64_t n, int64_t mode) {
  if (c >= 0 && c < n) return c;
  switch (mode) {
    case 1: {  // reflect, without repeating the edge: period 2(n-1)
      if (n == 1) return 0;
      const int64_t period = 2 * (n - 1), m = ((c % period) + period) % period;
      return m < n ? m : period - m;
    }
    case 2: return c < 0 ? 0 : n - 1;
    case 3: return ((c % n) + n) % n;
    default: return -1;
  }
}

template <typename T>
void tableRow(T* y, const T* src, const int64_t* table, int64_t from, int64_t to, T fill) {
  for (int64_t i = from; i < to; ++i) y[i] = table[i] < 0 ? fill : src[table[i]];
}

class PadOp final : public LayerOp {
 public:
  PadOp(uint32_t x, uint32_t y, size_t elemSize, Shape outDims, std::vector<int64_t> xStrides,
        std::vector<std::vector<int64_t>> tables, int64_t lo, int64_t hi, uint64_t fill)
      : x_(x), y_(y), elemSize_(elemSize), dims_(std::move(outDims)), xStrides_(std::move(xStrides)),
        tables_(std::move(tables)), lo_(lo), hi_(hi), fill_(fill) {}

  void run(const RunContext& ctx) const override {
    switch (elemSize_) {
      case 1: return runAs<uint8_t>(ctx);
      case 2: return runAs<uint16_t>(ctx);
      case 4: return runAs<uint32_t>(ctx);
      default: return runAs<uint64_t>(ctx);
    }
  }

 private:
  template <typename T>
  void runAs(const RunContext& ctx) const {
    const T* x = ctx.data<const T>(x_);
    T* y = ctx.data<T>(y_);
    T fill;
    std::memcpy(&fill, &fill_, sizeof(T));
    const size_t last = dims_.size() - 1;
    const int64_t width = dims_[last];
    const int64_t* inner = tables_[last].data();
    uint64_t rows = 1;
    for (size_t d = 0; d < last; ++d) rows *= static_cast<uint64_t>(dims_[d]);
    const size_t grain = width >= 4096 ? 1 : static_cast<size_t>(4096 / width);
    ctx.pool->parallelRanges(rows, grain, [&](size_t b, size_t e) {
      for (size_t row = b; row < e; ++row) {
        T* out = y + row * static_cast<uint64_t>(width);
        int64_t src = 0;
        uint64_t rest = row;
        for (size_t d = last; d-- > 0 && src >= 0;) {
          const int64_t c = tables_[d][rest % static_cast<uint64_t>(dims_[d])];
          rest /= static_cast<uint64_t>(dims_[d]);
          src = c < 0 ? -1 : src + c * xStrides_[d];
        }
        if (src < 0) {
          std::fill(out, out + width, fill);
          continue;
        }
        const T* in = x + src;
        tableRow(out, in, inner, 0, lo_, fill);
        if (hi_ > lo_) std::memcpy(out + lo_, in + inner[lo_], static_cast<size_t>(hi_ - lo_) * sizeof(T));
        tableRow(out, in, inner, std::max(lo_, hi_), width, fill);
      }
    });
  }

  uint32_t x_, y_;
  size_t elemSize_;
  Shape dims_;
  std::vector<int64_t> xStrides_;
  std::vector<std::vector<int64_t>> tables_;
  int64_t lo_, hi_;  // output columns [lo, hi) read one contiguous run of the input row
  uint64_t fill_;    // the fill element's bytes
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  const TensorDesc &x = c.input(0), &y = c.output(0);
  const size_t rank = x.shape.size();
  c.intCount(1 + 2 * rank, "[mode, begin[rank], end[rank]]");
  c.floatCount(1, "[value]");
  if (x.dtype != y.dtype)
    c.fail(cat("kernel pad keeps the dtype; input ", LayerCheck::describe(x), ", output ", LayerCheck::describe(y)));
  if (rank == 0 || y.shape.size() != rank)
    c.fail(cat("kernel pad needs input and output of one rank >= 1; input ", LayerCheck::describe(x), ", output ",
               LayerCheck::describe(y)));
  const int64_t mode = c.intIn(0, 0, 3, "mode");
  std::vector<std::vector<int64_t>> tables(rank);
  for (size_t d = 0; d < rank; ++d) {
    // Pads never exceed the output's extent, so the sum below cannot overflow.
    const int64_t b = c.intIn(1 + d, -x.shape[d], y.shape[d], "pads begin");
    const int64_t e = c.intIn(1 + rank + d, -x.shape[d], y.shape[d], "pads end");
    if (x.shape[d] + b + e != y.shape[d])
      c.fail(cat("kernel pad: dim ", d, " of input ", LayerCheck::describe(x), " padded by ", b, " and ", e,
                 " gives ", x.shape[d] + b + e, ", but output ", LayerCheck::describe(y), " has ", y.shape[d]));
    for (int64_t i = 0; i < y.shape[d]; ++i) tables[d].push_back(padSource(i - b, x.shape[d], mode));
  }
  const int64_t begin = c.ints()[rank], width = y.shape[rank - 1];
  const int64_t lo = std::min(std::max<int64_t>(begin, 0), width);
  const int64_t hi = std::max(lo, std::min(width, begin + x.shape[rank - 1]));
  uint64_t fill = 0;
  encodeScalar(x.dtype, c.floats()[0], reinterpret_cast<uint8_t*>(&fill));
  return std::make_unique<PadOp>(c.inputId(0), c.outputId(0), dtypeSize(x.dtype), y.shape, denseStrides(x.shape),
                                 std::move(tables), lo, hi, fill);
}

}  // namespace

KernelDef padKernel() { return {"pad", false, validate}; }

}  // namespace kiln::cpu
