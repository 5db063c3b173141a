// rnn, gru, lstm: one ONNX recurrent layer over the whole sequence, f32, all
// directions in lockstep. The input projection X * W^T + bias of every time
// step is ONE GEMM per direction; then each step runs H_{t-1} * R^T as one
// GEMM per direction (both directions in one batch) and a fused gate pass per
// (direction, batch row). Constant W and R are packed once at load. A batch
// row whose sequence has ended stops updating; its later Y rows stay zero.
// Layouts of ints/floats: native/PLAN_FORMAT.md, section "Recurrent kernels".
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels.h"
#include "layer-check.h"
#include "rnn-cell.h"
#include "rnn-validate.h"
#include "sgemm.h"

namespace kiln::cpu {
namespace {

class RecurrentOp final : public LayerOp {
 public:
  RecurrentOp(const LayerCheck& chk, RnnConfig cfg, const RnnOperands& ops) : c_(std::move(cfg)), ops_(ops) {
    const int64_t GH = c_.gateWidth(), H = c_.hidden, I = c_.input;
    const int64_t nR = c_.splitRecurrence() ? 2 * H : GH;
    for (int64_t d = 0; d < c_.dirs; ++d) {
      if (const float* w = chk.constantF32(1)) packedW_.push_back(prepackB({w + d * GH * I, 1, I}, size_t(I), size_t(GH)));
      if (const float* r = chk.constantF32(2)) {
        packedR_.push_back(prepackB({r + d * GH * H, 1, H}, size_t(H), size_t(nR)));
        if (c_.splitRecurrence()) packedRh_.push_back(prepackB({r + d * GH * H + 2 * H * H, 1, H}, size_t(H), size_t(H)));
      }
    }
  }

  void run(const RunContext& ctx) const override {
    const int64_t S = c_.seq, B = c_.batch, H = c_.hidden, I = c_.input, D = c_.dirs, GH = c_.gateWidth();
    const float* x = ctx.data<const float>(ops_.x);
    const float* w = ctx.data<const float>(ops_.w);
    const float* r = ctx.data<const float>(ops_.r);
    const float* b = ops_.b >= 0 ? ctx.data<const float>(uint32_t(ops_.b)) : nullptr;
    const float* peep = ops_.p >= 0 ? ctx.data<const float>(uint32_t(ops_.p)) : nullptr;

    // Sequence lengths: checked here, since they are data.
    std::vector<int64_t> lens(size_t(B), S);
    if (ops_.lens >= 0) {
      const int32_t* l = ctx.data<const int32_t>(uint32_t(ops_.lens));
      for (int64_t i = 0; i < B; ++i) {
        if (l[i] < 0 || l[i] > S)
          throw Error(codes::kInput, cat("layer ", quoted(ops_.layer), ": sequenceLens[", i, "] is ", l[i], "; expected 0..", S,
                                         " (the sequence length of input 'x')"));
        lens[size_t(i)] = l[i];
      }
    }
    const int64_t steps = *std::max_element(lens.begin(), lens.end());

    // Scratch: xw [D][S*B][GH], gates [D][B][GH], h and cell [D][B][H], rh [D][B][H], bias [D][GH], rbh [D][H].
    const size_t xwN = size_t(D * S * B * GH), gN = size_t(D * B * GH), sN = size_t(D * B * H);
    AlignedBuffer scratch((xwN + gN + 3 * sN + size_t(D * (GH + H))) * sizeof(float));
    float* xw = scratch.as<float>();
    float* gates = xw + xwN;
    float* h = gates + gN;
    float* cell = h + sN;
    float* rh = cell + sN;
    float* bias = rh + sN;
    float* rbh = bias + D * GH;
    const bool linearH = c_.cell == RnnCell::gru && c_.linearBeforeReset;
    if (b)
      for (int64_t d = 0; d < D; ++d)
        for (int64_t j = 0; j < GH; ++j) {
          const float wb = b[d * 2 * GH + j], rb = b[d * 2 * GH + GH + j];
          // The GRU's linear-before-reset h gate keeps Rb_h inside the reset product.
          const bool inside = linearH && j >= 2 * H;
          bias[d * GH + j] = inside ? wb : wb + rb;
          if (inside) rbh[d * H + j - 2 * H] = rb;
        }

    // 1. Input projection of every step: one GEMM per direction.
    std::vector<GemmProblem> problems(static_cast<size_t>(D));
    for (int64_t d = 0; d < D; ++d) {
      GemmProblem& p = problems[size_t(d)];
      p.m = size_t(S * B);
      p.n = size_t(GH);
      p.k = size_t(I);
      p.a = {x, I, 1};
      p.b = {w + d * GH * I, 1, I};
      if (!packedW_.empty()) p.bPacked = packedW_[size_t(d)].as<float>();
      p.c = xw + d * S * B * GH;
      p.ldc = size_t(GH);
      p.epilogue.bias = b ? bias + d * GH : nullptr;
    }
    sgemmBatch(*ctx.pool, problems.data(), problems.size());

    // 2. Initial state; Y rows past a sequence's end stay zero.
    initState(ctx, ops_.h0, h);
    if (c_.cell == RnnCell::lstm) initState(ctx, ops_.c0, cell);
    float* y = ctx.data<float>(ops_.y);
    if (std::any_of(lens.begin(), lens.end(), [&](int64_t l) { return l < S; }))
      std::memset(y, 0, size_t(S * D * B * H) * sizeof(float));

    // 3. The recurrence. The gate pass is split into (direction, batch row,
    // unit range) items: few rows (small batches) still spread over threads.
    const int64_t rows = D * B, threads = int64_t(ctx.pool->threads());
    const int64_t width = rows >= 4 * threads ? H : std::min(H, std::max<int64_t>(64, (rows * H + 4 * threads - 1) / (4 * threads)));
    const int64_t chunks = (H + width - 1) / width;
    const size_t grain = size_t(std::max<int64_t>(1, 16384 / (width * c_.gates)));
    auto eachRow = [&](auto&& fn) {
      ctx.pool->parallelRanges(size_t(rows * chunks), grain, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
          const int64_t row = int64_t(i) / chunks, j0 = (int64_t(i) % chunks) * width;
          fn(row / B, row % B, j0, std::min(width, H - j0));
        }
      });
    };
    for (int64_t s = 0; s < steps; ++s) {
      recurrenceGemm(ctx, r, h, gates, false);
      auto timeOf = [&](int64_t d, int64_t bi) { return c_.reverse(d) ? lens[size_t(bi)] - 1 - s : s; };
      auto xwRow = [&](int64_t d, int64_t bi) {
        const int64_t t = timeOf(d, bi);
        return xw + d * S * B * GH + (c_.batchFirst ? bi * S + t : t * B + bi) * GH;
      };
      if (c_.splitRecurrence()) {
        eachRow([&](int64_t d, int64_t bi, int64_t j0, int64_t n) {
          if (s < lens[size_t(bi)])
            gruCellResetPhase(c_, d, j0, n, xwRow(d, bi), gates + (d * B + bi) * GH, h + (d * B + bi) * H, rh + (d * B + bi) * H);
        });
        recurrenceGemm(ctx, r, rh, gates, true);
      }
      eachRow([&](int64_t d, int64_t bi, int64_t j0, int64_t n) {
        if (s >= lens[size_t(bi)]) return;
        float* g = gates + (d * B + bi) * GH;
        float* hs = h + (d * B + bi) * H;
        const float* xr = xwRow(d, bi);
        switch (c_.cell) {
          case RnnCell::rnn: rnnCellStep(c_, d, j0, n, xr, g, hs); break;
          case RnnCell::lstm: lstmCellStep(c_, d, j0, n, xr, g, peep ? peep + d * 3 * H : nullptr, hs, cell + (d * B + bi) * H); break;
          case RnnCell::gru:
            if (c_.linearBeforeReset) gruCellStepLinear(c_, d, j0, n, xr, g, b ? rbh + d * H : nullptr, hs);
            else gruCellUpdatePhase(c_, d, j0, n, xr, g, hs);
            break;
        }
        std::memcpy(y + yRow(timeOf(d, bi), d, bi) + j0, hs + j0, size_t(n) * sizeof(float));
      });
    }

    // 4. Final states; a sequence of length 0 has none and gives zeros.
    writeState(ctx.data<float>(ops_.yh), h, lens);
    if (c_.cell == RnnCell::lstm) writeState(ctx.data<float>(ops_.yc), cell, lens);
  }

 private:
  // gates[d] (columns [0, nR), or the h gate's for `hGate`) = v[d] * R^T.
  void recurrenceGemm(const RunContext& ctx, const float* r, const float* v, float* gates, bool hGate) const {
    const int64_t B = c_.batch, H = c_.hidden, GH = c_.gateWidth();
    const int64_t n = hGate ? H : c_.splitRecurrence() ? 2 * H : GH;
    std::vector<GemmProblem> problems(size_t(c_.dirs));
    for (int64_t d = 0; d < c_.dirs; ++d) {
      GemmProblem& p = problems[size_t(d)];
      p.m = size_t(B);
      p.n = size_t(n);
      p.k = size_t(H);
      p.a = {v + d * B * H, H, 1};
      p.b = {r + d * GH * H + (hGate ? 2 * H * H : 0), 1, H};
      const auto& packed = hGate ? packedRh_ : packedR_;
      if (!packed.empty()) p.bPacked = packed[size_t(d)].as<float>();
      p.c = gates + d * B * GH + (hGate ? 2 * H : 0);
      p.ldc = size_t(GH);
    }
    sgemmBatch(*ctx.pool, problems.data(), problems.size());
  }

  // Element offset of Y[t, d, b] (layout 0) or Y[b, t, d] (layout 1).
  int64_t yRow(int64_t t, int64_t d, int64_t b) const {
    const int64_t rowIndex = c_.batchFirst ? (b * c_.seq + t) * c_.dirs + d : (t * c_.dirs + d) * c_.batch + b;
    return rowIndex * c_.hidden;
  }
  // Element offset of a state [d, b] (layout 0) or [b, d] (layout 1).
  int64_t stateRow(int64_t d, int64_t b) const {
    return (c_.batchFirst ? b * c_.dirs + d : d * c_.batch + b) * c_.hidden;
  }

  void initState(const RunContext& ctx, int64_t tensor, float* state) const {
    const int64_t H = c_.hidden;
    const float* src = tensor >= 0 ? ctx.data<const float>(uint32_t(tensor)) : nullptr;
    for (int64_t d = 0; d < c_.dirs; ++d)
      for (int64_t b = 0; b < c_.batch; ++b) {
        float* dst = state + (d * c_.batch + b) * H;
        if (src) std::memcpy(dst, src + stateRow(d, b), size_t(H) * sizeof(float));
        else std::fill(dst, dst + H, 0.f);
      }
  }

  void writeState(float* out, const float* state, const std::vector<int64_t>& lens) const {
    const int64_t H = c_.hidden;
    for (int64_t d = 0; d < c_.dirs; ++d)
      for (int64_t b = 0; b < c_.batch; ++b) {
        float* dst = out + stateRow(d, b);
        if (lens[size_t(b)] > 0) std::memcpy(dst, state + (d * c_.batch + b) * H, size_t(H) * sizeof(float));
        else std::fill(dst, dst + H, 0.f);
      }
  }

  RnnConfig c_;
  RnnOperands ops_;
  std::vector<AlignedBuffer> packedW_, packedR_, packedRh_;  // per direction; empty unless constant
};

template <RnnCell kCell>
std::unique_ptr<LayerOp> validate(const LayerCheck& c) {
  RnnOperands ops;
  RnnConfig cfg = validateRecurrent(c, kCell, &ops);
  return std::make_unique<RecurrentOp>(c, std::move(cfg), ops);
}

}  // namespace

KernelDef rnnKernel() { return {"rnn", false, validate<RnnCell::rnn>}; }
KernelDef gruKernel() { return {"gru", false, validate<RnnCell::gru>}; }
KernelDef lstmKernel() { return {"lstm", false, validate<RnnCell::lstm>}; }

}  // namespace kiln::cpu
