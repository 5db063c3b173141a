// The per-step gate math of the rnn / gru / lstm kernels, for one (direction,
// batch row) and a range of hidden units [j0, j0 + n): the GEMMs have already
// put H_{t-1} * R^T into `gates`, and the whole-sequence input projection
// X_t * W^T + bias is in `xw`; these fuse the sum, the activations and the
// state update in one pass. Every pointer is the start of its whole row (gates
// and xw: G*H, h / cell / rh: H, peep: 3H, rbh: H). Units are independent, so
// threads may take different ranges of one row.
// Gate order is ONNX's: GRU z r h, LSTM i o f c, peepholes i o f.
#pragma once

#include <cstdint>
#include <vector>

#include "rnn-activation.h"

namespace kiln::cpu {

enum class RnnCell { rnn, gru, lstm };

struct RnnConfig {
  RnnCell cell = RnnCell::rnn;
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1, gates = 1;
  int direction = 0;  // 0 forward, 1 reverse, 2 bidirectional
  bool batchFirst = false;
  bool linearBeforeReset = false;  // GRU
  bool inputForget = false;        // LSTM
  float clip = 0.f;                // +inf: none
  int actsPerDir = 1;
  std::vector<RnnActivation> acts;  // actsPerDir per direction, f g h order

  int64_t gateWidth() const { return gates * hidden; }
  bool reverse(int64_t d) const { return direction == 1 || d == 1; }
  // The GEMM H * R^T covers every gate, except in a GRU without
  // linearBeforeReset, whose h gate needs the reset gate first.
  bool splitRecurrence() const { return cell == RnnCell::gru && !linearBeforeReset; }
  const RnnActivation& act(int64_t d, int k) const { return acts[size_t(d * actsPerDir + k)]; }
};

// RNN: h = f(xw + gates).
void rnnCellStep(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, float* h);

// LSTM: updates c and h; `peep` is the direction's [3H] peepholes or null.
void lstmCellStep(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, const float* peep,
                  float* h, float* cell);

// GRU with linearBeforeReset: h gate = g(xw_h + r * (gates_h + rbh)); rbh may be null.
void gruCellStepLinear(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, const float* rbh,
                       float* h);

// GRU without it, in two phases around the second GEMM: first z and r
// (left in gates) and rh = r * h; then, with rh * Rh^T in gates_h, the state.
void gruCellResetPhase(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, const float* h,
                       float* rh);
void gruCellUpdatePhase(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, float* h);

}  // namespace kiln::cpu
