// See rnn-validate.h. ints: [direction (forward 0, reverse 1, bidirectional
// 2), hiddenSize, layout (0 time-major, 1 batch-major), presentMask (RnnInputBits),
// flag (GRU linearBeforeReset, LSTM inputForget, RNN 0), activation codes
// (per direction, f g h order)]. floats: [clip, then alpha, beta per activation].
#include "rnn-validate.h"

#include <algorithm>
#include <cmath>

#include "../text.h"

namespace kiln::cpu {
namespace {

const char* cellKernel(RnnCell cell) {
  return cell == RnnCell::rnn ? "rnn" : cell == RnnCell::gru ? "gru" : "lstm";
}

void expectShape(const LayerCheck& c, const TensorDesc& t, const char* what, DType dtype, const Shape& want,
                 const RnnConfig& cfg) {
  if (t.dtype == dtype && t.shape == want) return;
  c.fail(cat("kernel ", cellKernel(cfg.cell), " expects ", what, " ", typeString(dtype, want), " (hidden ", cfg.hidden,
             ", ", cfg.dirs, " direction", cfg.dirs == 2 ? "s" : "", "), got ", LayerCheck::describe(t)));
}

}  // namespace

RnnConfig validateRecurrent(const LayerCheck& c, RnnCell cell, RnnOperands* ops) {
  RnnConfig cfg;
  cfg.cell = cell;
  cfg.gates = cell == RnnCell::rnn ? 1 : cell == RnnCell::gru ? 3 : 4;
  cfg.actsPerDir = cell == RnnCell::rnn ? 1 : cell == RnnCell::gru ? 2 : 3;
  const char* kernel = cellKernel(cell);
  if (c.ints().size() < 5) c.fail(cat("kernel ", kernel, " expects ints [direction, hiddenSize, layout, presentMask, flag, activationCodes...], got ", listString(c.ints())));
  cfg.direction = int(c.intIn(0, 0, 2, "direction"));
  cfg.dirs = cfg.direction == 2 ? 2 : 1;
  const size_t nActs = size_t(cfg.actsPerDir * cfg.dirs);
  c.intCount(5 + nActs, "[direction, hiddenSize, layout, presentMask, flag, activationCodes (per direction)]");
  c.floatCount(1 + 2 * nActs, "[clip, alpha and beta per activation]");
  cfg.hidden = c.intIn(1, 1, int64_t(1) << 24, "hiddenSize");
  cfg.batchFirst = c.intIn(2, 0, 1, "layout") == 1;
  const int64_t mask = c.intIn(3, 0, cell == RnnCell::lstm ? 31 : 7, "presentMask");
  const bool flag = c.intIn(4, 0, 1, cell == RnnCell::gru ? "linearBeforeReset" : cell == RnnCell::lstm ? "inputForget" : "flag") == 1;
  if (cell == RnnCell::rnn && flag) c.fail("kernel rnn takes flag 0");
  cfg.linearBeforeReset = cell == RnnCell::gru && flag;
  cfg.inputForget = cell == RnnCell::lstm && flag;
  for (size_t i = 0; i < nActs; ++i) {
    RnnActivation a;
    a.kind = static_cast<RnnAct>(c.intIn(5 + i, 0, kRnnActCount - 1, "activation code"));
    a.alpha = float(c.floats()[1 + 2 * i]);
    a.beta = float(c.floats()[2 + 2 * i]);
    cfg.acts.push_back(a);
  }
  cfg.clip = float(c.floats()[0]);
  if (!(cfg.clip > 0)) c.fail(cat("clip (floats[0]) must be > 0 (+inf for none), got ", c.floats()[0]));

  size_t present = 0;
  for (int64_t bit = 1; bit <= kRnnPeepholes; bit <<= 1) present += (mask & bit) ? 1 : 0;
  c.inputs(3 + present, 3 + present);
  c.outputs(cell == RnnCell::lstm ? 3 : 2);
  ops->layer = c.layer().name;
  ops->x = c.inputId(0);
  ops->w = c.inputId(1);
  ops->r = c.inputId(2);
  // Input position of each optional operand, -1 when absent.
  size_t next = 3;
  auto take = [&](int64_t bit) { return (mask & bit) ? int64_t(next++) : int64_t(-1); };
  const int64_t at[5] = {take(kRnnBias), take(kRnnLens), take(kRnnInitialH), take(kRnnInitialC), take(kRnnPeepholes)};
  auto id = [&](int64_t pos) { return pos >= 0 ? int64_t(c.inputId(size_t(pos))) : int64_t(-1); };
  ops->b = id(at[0]);
  ops->lens = id(at[1]);
  ops->h0 = id(at[2]);
  ops->c0 = id(at[3]);
  ops->p = id(at[4]);
  ops->y = c.outputId(0);
  ops->yh = c.outputId(1);
  if (cell == RnnCell::lstm) ops->yc = int64_t(c.outputId(2));

  const TensorDesc& x = c.input(0);
  if (x.dtype != DType::f32 || x.shape.size() != 3)
    c.fail(cat("kernel ", kernel, " expects input 'x' f32 of rank 3 (", cfg.batchFirst ? "[batch,seq,input]" : "[seq,batch,input]",
               "), got ", LayerCheck::describe(x)));
  cfg.seq = cfg.batchFirst ? x.shape[1] : x.shape[0];
  cfg.batch = cfg.batchFirst ? x.shape[0] : x.shape[1];
  cfg.input = x.shape[2];
  const int64_t D = cfg.dirs, H = cfg.hidden, GH = cfg.gateWidth(), B = cfg.batch, S = cfg.seq;
  // Bounds the per-run scratch index arithmetic well inside 64 bits.
  if (double(D) * S * B * GH > double(int64_t(1) << 40) || double(GH) * std::max(cfg.input, H) > double(int64_t(1) << 40))
    c.fail("kernel recurrent layer is too large (more than 2^40 gate values)");
  const Shape state = cfg.batchFirst ? Shape{B, D, H} : Shape{D, B, H};
  expectShape(c, c.input(1), "weights 'w'", DType::f32, {D, GH, cfg.input}, cfg);
  expectShape(c, c.input(2), "recurrence weights 'r'", DType::f32, {D, GH, H}, cfg);
  auto optional = [&](int64_t pos, const char* what, DType dtype, const Shape& want) {
    if (pos >= 0) expectShape(c, c.input(size_t(pos)), what, dtype, want, cfg);
  };
  optional(at[0], "bias 'b'", DType::f32, {D, 2 * GH});
  optional(at[1], "input 'sequenceLens'", DType::i32, {B});
  optional(at[2], "input 'initialH'", DType::f32, state);
  optional(at[3], "input 'initialC'", DType::f32, state);
  optional(at[4], "peepholes 'p'", DType::f32, {D, 3 * H});
  expectShape(c, c.output(0), "output 'y'", DType::f32, cfg.batchFirst ? Shape{B, S, D, H} : Shape{S, D, B, H}, cfg);
  expectShape(c, c.output(1), "output 'yH'", DType::f32, state, cfg);
  if (cell == RnnCell::lstm) expectShape(c, c.output(2), "output 'yC'", DType::f32, state, cfg);
  return cfg;
}

}  // namespace kiln::cpu
