// See rnn-cell.h. Each step works in place in the row of `gates`: the
// pre-activations become activations, and the LSTM's candidate slot is reused
// for h(C) once the cell state has absorbed it.
#include "rnn-cell.h"

#include <cstddef>
#include <limits>

namespace kiln::cpu {
namespace {

void addInto(float* dst, const float* src, int64_t n) {
  for (int64_t j = 0; j < n; ++j) dst[j] += src[j];
}

}  // namespace

void rnnCellStep(const RnnConfig& c, int64_t d, const float* xw, float* gates, float* h) {
  const int64_t H = c.hidden;
  addInto(gates, xw, H);
  rnnActivate(c.act(d, 0), c.clip, gates, size_t(H));
  for (int64_t j = 0; j < H; ++j) h[j] = gates[j];
}

void lstmCellStep(const RnnConfig& c, int64_t d, const float* xw, float* gates, const float* peep, float* h,
                  float* cell) {
  const int64_t H = c.hidden;
  float *gi = gates, *go = gates + H, *gf = gates + 2 * H, *gc = gates + 3 * H;
  addInto(gates, xw, 4 * H);
  const RnnActivation &f = c.act(d, 0), &g = c.act(d, 1), &hAct = c.act(d, 2);
  if (peep)
    for (int64_t j = 0; j < H; ++j) gi[j] += peep[j] * cell[j];
  rnnActivate(f, c.clip, gi, size_t(H));
  if (c.inputForget) {
    for (int64_t j = 0; j < H; ++j) gf[j] = 1.f - gi[j];
  } else {
    if (peep)
      for (int64_t j = 0; j < H; ++j) gf[j] += peep[2 * H + j] * cell[j];
    rnnActivate(f, c.clip, gf, size_t(H));
  }
  rnnActivate(g, c.clip, gc, size_t(H));
  for (int64_t j = 0; j < H; ++j) cell[j] = gf[j] * cell[j] + gi[j] * gc[j];
  if (peep)
    for (int64_t j = 0; j < H; ++j) go[j] += peep[H + j] * cell[j];
  rnnActivate(f, c.clip, go, size_t(H));
  // ONNX clips the gates' inputs; h(C) reads the cell state unclipped.
  for (int64_t j = 0; j < H; ++j) gc[j] = cell[j];
  rnnActivate(hAct, std::numeric_limits<float>::infinity(), gc, size_t(H));
  for (int64_t j = 0; j < H; ++j) h[j] = go[j] * gc[j];
}

void gruCellStepLinear(const RnnConfig& c, int64_t d, const float* xw, float* gates, const float* rbh, float* h) {
  const int64_t H = c.hidden;
  float *gz = gates, *gr = gates + H, *gh = gates + 2 * H;
  addInto(gates, xw, 2 * H);
  rnnActivate(c.act(d, 0), c.clip, gates, size_t(2 * H));
  for (int64_t j = 0; j < H; ++j) gh[j] = xw[2 * H + j] + gr[j] * (gh[j] + (rbh ? rbh[j] : 0.f));
  rnnActivate(c.act(d, 1), c.clip, gh, size_t(H));
  for (int64_t j = 0; j < H; ++j) h[j] = (1.f - gz[j]) * gh[j] + gz[j] * h[j];
}

void gruCellResetPhase(const RnnConfig& c, int64_t d, const float* xw, float* gates, const float* h, float* rh) {
  const int64_t H = c.hidden;
  addInto(gates, xw, 2 * H);
  rnnActivate(c.act(d, 0), c.clip, gates, size_t(2 * H));
  for (int64_t j = 0; j < H; ++j) rh[j] = gates[H + j] * h[j];
}

void gruCellUpdatePhase(const RnnConfig& c, int64_t d, const float* xw, float* gates, float* h) {
  const int64_t H = c.hidden;
  float *gz = gates, *gh = gates + 2 * H;
  addInto(gh, xw + 2 * H, H);
  rnnActivate(c.act(d, 1), c.clip, gh, size_t(H));
  for (int64_t j = 0; j < H; ++j) h[j] = (1.f - gz[j]) * gh[j] + gz[j] * h[j];
}

}  // namespace kiln::cpu
