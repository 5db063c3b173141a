// copy: y = x byte for byte, any dtype. Codegen lowers reshape/flatten/squeeze
// to it; when the memory planner aliased x and y it is a no-op at run time.
// ints: none. floats: none.
#include <cstring>

#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

class CopyOp final : public LayerOp {
 public:
  CopyOp(uint32_t x, uint32_t y, uint64_t bytes) : x_(x), y_(y), bytes_(bytes) {}

  void run(const RunContext& ctx) const override {
    const uint8_t* src = ctx.data<const uint8_t>(x_);
    uint8_t* dst = ctx.data<uint8_t>(y_);
    if (src == dst) return;
    ctx.pool->parallelRanges(bytes_, 1 << 20, [&](size_t b, size_t e) { std::memcpy(dst + b, src + b, e - b); });
  }

 private:
  uint32_t x_, y_;
  uint64_t bytes_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(1, 1);
  c.outputs(1);
  c.intCount(0, "(none)");
  c.floatCount(0, "(none)");
  const uint64_t in = tensorBytes(c.input(0)), out = tensorBytes(c.output(0));
  if (in != out)
    c.fail(cat("kernel copy needs equal byte sizes; input ", LayerCheck::describe(c.input(0)), " is ", in,
               " bytes, output ", LayerCheck::describe(c.output(0)), " is ", out));
  return std::make_unique<CopyOp>(c.inputId(0), c.outputId(0), in);
}

}  // namespace

KernelDef copyKernel() { return {"copy", true, validate}; }

}  // namespace kiln::cpu
