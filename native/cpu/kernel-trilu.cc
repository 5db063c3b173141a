// trilu: y = x with the elements above (upper = 0) or below (upper = 1) the
// k-th diagonal of every trailing matrix set to zero, ONNX Trilu, any dtype.
// ints: [upper (0 or 1), k]. The kept part of each matrix row is one
// contiguous run, so a row is one memcpy and one or two zero fills.
#include <algorithm>
#include <cstring>
#include <memory>

#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class TriluOp final : public LayerOp {
 public:
  TriluOp(uint32_t x, uint32_t y, uint64_t rows, int64_t height, int64_t width, bool upper, int64_t k, size_t elemSize)
      : x_(x), y_(y), rows_(rows), height_(height), width_(width), upper_(upper), k_(k), elemSize_(elemSize) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* x = ctx.data<const uint8_t>(x_);
    uint8_t* y = ctx.data<uint8_t>(y_);
    const size_t rowBytes = static_cast<size_t>(width_) * elemSize_;
    const size_t grain = rowBytes >= (1 << 14) ? 1 : (1 << 14) / rowBytes;
    ctx.pool->parallelRanges(rows_, grain, [&](size_t b, size_t e) {
      for (size_t row = b; row < e; ++row) {
        const int64_t i = static_cast<int64_t>(row % static_cast<uint64_t>(height_));
        // Column j is kept when j - i >= k (upper) or j - i <= k (lower).
        const int64_t from = upper_ ? std::clamp<int64_t>(i + k_, 0, width_) : 0;
        const int64_t to = upper_ ? width_ : std::clamp<int64_t>(i + k_ + 1, 0, width_);
        uint8_t* out = y + row * rowBytes;
        const uint8_t* in = x + row * rowBytes;
        std::memset(out, 0, static_cast<size_t>(from) * elemSize_);
        if (to > from) std::memcpy(out + from * elemSize_, in + from * elemSize_, static_cast<size_t>(to - from) * elemSize_);
        const int64_t tail = std::max(to, from);
        std::memset(out + tail * elemSize_, 0, static_cast<size_t>(width_ - tail) * elemSize_);
      }
    });
  }

 private:
  uint32_t x_, y_;
  uint64_t rows_;
  int64_t height_, width_;
  bool upper_;
  int64_t k_;
  size_t elemSize_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(2, "[upper, k]");
  c.floatCount(0, "(none)");
  const TensorDesc &x = c.input(0), &y = c.output(0);
  if (x.dtype != y.dtype || x.shape != y.shape || x.shape.size() < 2)
    c.fail(cat("kernel trilu expects input and output of one type and rank >= 2; input ", LayerCheck::describe(x),
               ", output ", LayerCheck::describe(y)));
  const bool upper = c.intIn(0, 0, 1, "upper") == 1;
  // Beyond +-(rows + cols) every k keeps all or nothing; the clamp keeps i + k from overflowing.
  const int64_t height = x.shape[x.shape.size() - 2], width = x.shape.back();
  const int64_t k = std::clamp<int64_t>(c.ints()[1], -(height + width), height + width);
  return std::make_unique<TriluOp>(c.inputId(0), c.outputId(0), elementCount(x.shape) / static_cast<uint64_t>(width),
                                   height, width, upper, k, dtypeSize(x.dtype));
}

}  // namespace

KernelDef triluKernel() { return {"trilu", false, validate}; }

}  // namespace kiln::cpu
