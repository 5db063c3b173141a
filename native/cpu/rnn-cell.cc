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

void rnnCellStep(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, float* h) {
  float* g = gates + j0;
  addInto(g, xw + j0, n);
  rnnActivate(c.act(d, 0), c.clip, g, size_t(n));
  for (int64_t j = 0; j < n; ++j) h[j0 + j] = g[j];
}

void lstmCellStep(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, const float* peep,
                  float* h, float* cell) {
  const int64_t H = c.hidden;
  float *gi = gates + j0, *go = gates + H + j0, *gf = gates + 2 * H + j0, *gc = gates + 3 * H + j0;
  for (int64_t k = 0; k < 4; ++k) addInto(gates + k * H + j0, xw + k * H + j0, n);
  float* cs = cell + j0;
  const RnnActivation &f = c.act(d, 0), &g = c.act(d, 1), &hAct = c.act(d, 2);
  if (peep)
    for (int64_t j = 0; j < n; ++j) gi[j] += peep[j0 + j] * cs[j];
  rnnActivate(f, c.clip, gi, size_t(n));
  if (c.inputForget) {
    for (int64_t j = 0; j < n; ++j) gf[j] = 1.f - gi[j];
  } else {
    if (peep)
      for (int64_t j = 0; j < n; ++j) gf[j] += peep[2 * H + j0 + j] * cs[j];
    rnnActivate(f, c.clip, gf, size_t(n));
  }
  rnnActivate(g, c.clip, gc, size_t(n));
  for (int64_t j = 0; j < n; ++j) cs[j] = gf[j] * cs[j] + gi[j] * gc[j];
  if (peep)
    for (int64_t j = 0; j < n; ++j) go[j] += peep[H + j0 + j] * cs[j];
  rnnActivate(f, c.clip, go, size_t(n));
  // ONNX clips the gates' inputs; h(C) reads the cell state unclipped.
  for (int64_t j = 0; j < n; ++j) gc[j] = cs[j];
  rnnActivate(hAct, std::numeric_limits<float>::infinity(), gc, size_t(n));
  for (int64_t j = 0; j < n; ++j) h[j0 + j] = go[j] * gc[j];
}

void gruCellStepLinear(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, const float* rbh,
                       float* h) {
  const int64_t H = c.hidden;
  float *gz = gates + j0, *gr = gates + H + j0, *gh = gates + 2 * H + j0;
  addInto(gz, xw + j0, n);
  addInto(gr, xw + H + j0, n);
  rnnActivate(c.act(d, 0), c.clip, gz, size_t(n));
  rnnActivate(c.act(d, 0), c.clip, gr, size_t(n));
  const float* xh = xw + 2 * H + j0;
  for (int64_t j = 0; j < n; ++j) gh[j] = xh[j] + gr[j] * (gh[j] + (rbh ? rbh[j0 + j] : 0.f));
  rnnActivate(c.act(d, 1), c.clip, gh, size_t(n));
  for (int64_t j = 0; j < n; ++j) h[j0 + j] = (1.f - gz[j]) * gh[j] + gz[j] * h[j0 + j];
}

void gruCellResetPhase(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, const float* h,
                       float* rh) {
  const int64_t H = c.hidden;
  float *gz = gates + j0, *gr = gates + H + j0;
  addInto(gz, xw + j0, n);
  addInto(gr, xw + H + j0, n);
  rnnActivate(c.act(d, 0), c.clip, gz, size_t(n));
  rnnActivate(c.act(d, 0), c.clip, gr, size_t(n));
  for (int64_t j = 0; j < n; ++j) rh[j0 + j] = gr[j] * h[j0 + j];
}

void gruCellUpdatePhase(const RnnConfig& c, int64_t d, int64_t j0, int64_t n, const float* xw, float* gates, float* h) {
  const int64_t H = c.hidden;
  float *gz = gates + j0, *gh = gates + 2 * H + j0;
  addInto(gh, xw + 2 * H + j0, n);
  rnnActivate(c.act(d, 1), c.clip, gh, size_t(n));
  for (int64_t j = 0; j < n; ++j) h[j0 + j] = (1.f - gz[j]) * gh[j] + gz[j] * h[j0 + j];
}

}  // namespace kiln::cpu
