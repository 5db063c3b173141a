// mod: y = a mod b with numpy broadcasting (ONNX Mod), on f32, i8, u8, i32 and
// i64. ints: [fmod]: 1 gives C's fmod (the dividend's sign), 0 Python's %
// (the divisor's sign; integers only). floats: none. An integer remainder by
// zero fails the run, as integer division does.
#include <cmath>

#include "../error.h"
#include "broadcast.h"
#include "elementwise-loop.h"
#include "elementwise-types.h"
#include "kernels.h"
#include "layer-check.h"

namespace kiln::cpu {
namespace {

template <typename T>
T remainder(T a, T b, bool python, const std::string& layer) {
  if constexpr (std::is_same_v<T, float>) {
    return std::fmod(a, b);
  } else {
    if (b == 0)
      throw Error(codes::kInput, cat("layer ", quoted(layer), ": integer Mod of ", int64_t(a), " by ", int64_t(b),
                                     " has no result (division by zero)"));
    // min % -1 traps on x86 although the remainder is 0.
    const T r = std::is_signed_v<T> && b == static_cast<T>(-1) ? T(0) : static_cast<T>(a % b);
    return python && r != 0 && ((r < 0) != (b < 0)) ? wrapAdd(r, b) : r;
  }
}

class ModOp final : public LayerOp {
 public:
  ModOp(std::string layer, uint32_t a, uint32_t b, uint32_t y, DType dtype, bool python, NaryLoop loop, uint64_t total)
      : layer_(std::move(layer)), a_(a), b_(b), y_(y), dtype_(dtype), python_(python), loop_(std::move(loop)), total_(total) {}

  void run(const RunContext& ctx) const override {
    visitNumeric(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const T* a = ctx.data<const T>(a_);
      const T* b = ctx.data<const T>(b_);
      T* y = ctx.data<T>(y_);
      forEachSpan(loop_, ctx.pool, total_, 8192, [&](size_t i, const LoopOffsets& off, const LoopOffsets& step, size_t n) {
        const T* as = a + off[0];
        const T* bs = b + off[1];
        for (size_t k = 0; k < n; ++k) y[i + k] = remainder<T>(as[k * step[0]], bs[k * step[1]], python_, layer_);
      });
    });
  }

 private:
  std::string layer_;
  uint32_t a_, b_, y_;
  DType dtype_;
  bool python_;
  NaryLoop loop_;
  uint64_t total_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  c.inputs(2, 2);
  c.outputs(1);
  c.intCount(1, "[fmod]");
  c.floatCount(0, "(none)");
  const bool fmod = c.intIn(0, 0, 1, "fmod flag") == 1;
  const TensorDesc &a = c.input(0), &b = c.input(1), &y = c.output(0);
  const DType t = a.dtype;
  if (t != DType::f32 && t != DType::i8 && t != DType::u8 && t != DType::i32 && t != DType::i64)
    c.fail(cat("kernel mod supports f32, i8, u8, i32 and i64; input ", LayerCheck::describe(a)));
  if (b.dtype != t || y.dtype != t)
    c.fail(cat("kernel mod needs one dtype for a, b and y, got ", LayerCheck::describe(a), ", ", LayerCheck::describe(b),
               " and output ", LayerCheck::describe(y)));
  if (t == DType::f32 && !fmod) c.fail("kernel mod takes f32 only with fmod 1 (ints[0])");
  Shape expect;
  if (!broadcastShapes(a.shape, b.shape, &expect))
    c.fail(cat("kernel mod cannot broadcast ", LayerCheck::describe(a), " with ", LayerCheck::describe(b)));
  if (y.shape != expect)
    c.fail(cat("kernel mod expects output ", typeString(t, expect), ", got ", typeString(y.dtype, y.shape)));
  return std::make_unique<ModOp>(c.layer().name, c.inputId(0), c.inputId(1), c.outputId(0), t, !fmod,
                                 planNaryLoop({a.shape, b.shape}, y.shape), elementCount(y.shape));
}

}  // namespace

KernelDef modKernel() { return {"mod", true, validate}; }

}  // namespace kiln::cpu
