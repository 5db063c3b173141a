// gemv: the gemm tactic for one row against constant weights (fully connected
// layers at batch 1). The weights are packed once at load into 16-column
// panels that run the whole of K, and each panel is streamed once per group
// of up to 4 rows, so the layer costs one pass over the weights. Layers of 2
// rows or more run on the packed-B GEMM (gemm-packed.h), faster there.
// Parameters are gemm's: ints [transA, transB, activationCode, hasBias(, hasResidual)],
// floats [alpha, beta]; needs transA 0 and a constant b without batch dims.
#include <algorithm>
#include <memory>

#include "../aligned-buffer.h"
#include "epilogue.h"
#include "gemm-layer.h"
#include "gemm-packed.h"
#include "kernels.h"
#include "layer-check.h"
#include "vec-kernels.h"

namespace kiln::cpu {
namespace {

constexpr size_t kPanel = 16;

class GemvOp final : public LayerOp {
 public:
  GemvOp(const LayerCheck& c, size_t rows, size_t n, size_t k, bool transB, Activation act, bool hasBias,
         int64_t residual)
      : a_(c.inputId(0)), bias_(hasBias ? int64_t(c.inputId(2)) : -1), residual_(residual), y_(c.outputId(0)), rows_(rows),
        n_(n), k_(k), act_(act) {
    // Validation without weights (serialize, inspect) has nothing to pack.
    const float* b = c.constantF32(1);
    if (!b) return;
    const size_t panels = (n + kPanel - 1) / kPanel;
    packed_.reset(panels * k * kPanel * sizeof(float));
    float* dst = packed_.as<float>();
    for (size_t p = 0; p < panels; ++p)
      for (size_t kk = 0; kk < k; ++kk)
        for (size_t j = 0; j < kPanel; ++j) {
          const size_t col = p * kPanel + j;
          *dst++ = col >= n ? 0.f : transB ? b[col * k + kk] : b[kk * n + col];
        }
  }

  void run(const RunContext& ctx) const override {
    const float* a = ctx.data<const float>(a_);
    const float* bias = bias_ >= 0 ? ctx.data<const float>(uint32_t(bias_)) : nullptr;
    float* y = ctx.data<float>(y_);
    const size_t panels = (n_ + kPanel - 1) / kPanel;
    Epilogue ep{bias, false, act_};
    if (residual_ >= 0) ep.residual = ctx.data<const float>(uint32_t(residual_)), ep.ldr = n_;
    const bool hasEpilogue = !epilogueIsEmpty(ep);
    // Enough panels per task that a thread streams a few KB of weights.
    const size_t grain = std::max<size_t>(1, 4096 / std::max<size_t>(k_, 1));
    ctx.pool->parallelRanges(panels, grain, [&](size_t p0, size_t p1) {
      alignas(64) float tile[4 * kPanel];
      for (size_t p = p0; p < p1; ++p) {
        const size_t col = p * kPanel, cols = std::min(kPanel, n_ - col);
        const float* panel = packed_.as<const float>() + p * k_ * kPanel;
        for (size_t r = 0; r < rows_; r += 4) {
          const size_t rows = std::min<size_t>(4, rows_ - r);
          vecKernels().gemvPanel(long(rows), long(k_), a + r * k_, long(k_), panel, tile);
          if (hasEpilogue) applyEpilogue(ep, tile, kPanel, rows, cols, r, col);
          for (size_t i = 0; i < rows; ++i) std::copy(tile + i * kPanel, tile + i * kPanel + cols, y + (r + i) * n_ + col);
        }
      }
    });
  }

 private:
  uint32_t a_;
  int64_t bias_, residual_;
  uint32_t y_;
  size_t rows_, n_, k_;
  Activation act_;
  AlignedBuffer packed_;
};

std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  const GemmParams p = readGemmParams(c);
  const TensorDesc &a = c.input(0), &b = c.input(1);
  if (p.transA || b.location != Location::weights || b.shape.size() != 2 || a.shape.size() < 2)
    c.fail(cat("kernel gemv needs transA 0, a of rank >= 2 and constant 2-D weights b, got a ", LayerCheck::describe(a),
               " (transA ", p.transA, ") and b ", LayerCheck::describe(b)));
  const RowsGemm g = checkRowsGemm(c, p, "gemv");
  // From 2 rows on the packed-B GEMM is faster (2x1000x512: 0.044 against 0.079 ms,
  // 64x1024x256: 0.36 against 0.64), and timing them on a loaded machine once tied.
  if (g.rows >= 2) return makeGemmPackedOp(c, p, g);
  return std::make_unique<GemvOp>(c, size_t(g.rows), size_t(g.n), size_t(g.k), p.transB, p.act, p.hasBias, p.residual);
}

}  // namespace

KernelDef gemvKernel() { return {"gemv", false, validate}; }

}  // namespace kiln::cpu
