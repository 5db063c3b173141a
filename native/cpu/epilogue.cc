// See epilogue.h. Row by row so bias, residual and activation touch each row once.
#include "epilogue.h"

#include <algorithm>

namespace kiln::cpu {

namespace {

// Adds the residual to row `row` of C, columns [col0, col0+cols), split where the
// residual's column blocks (images of a conv) end.
void addResidualRow(const Epilogue& ep, float* ci, size_t row, size_t col0, size_t cols) {
  for (size_t j = 0; j < cols;) {
    const size_t col = col0 + j;
    const float* r = ep.residual + row * ep.ldr;
    size_t run = cols - j;
    if (ep.rBlockCols) {
      r += ptrdiff_t(col / ep.rBlockCols) * ep.rBlockStride + ptrdiff_t(col % ep.rBlockCols);
      run = std::min(run, ep.rBlockCols - col % ep.rBlockCols);
    } else {
      r += col;
    }
    for (size_t k = 0; k < run; ++k) ci[j + k] += r[k];
    j += run;
  }
}

}  // namespace

void applyEpilogue(const Epilogue& ep, float* c, size_t ldc, size_t rows, size_t cols, size_t row0, size_t col0) {
  for (size_t i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    if (ep.bias) {
      if (ep.biasPerRow) {
        const float b = ep.bias[row0 + i];
        for (size_t j = 0; j < cols; ++j) ci[j] += b;
      } else {
        const float* b = ep.bias + col0;
        for (size_t j = 0; j < cols; ++j) ci[j] += b[j];
      }
    }
    if (ep.residual) addResidualRow(ep, ci, row0 + i, col0, cols);
    if (ep.act.kind != Act::none) applyActivation(ep.act, ci, ci, cols);
  }
}

int64_t readResidual(const LayerCheck& c, size_t flagIndex) {
  if (c.ints().size() <= flagIndex || c.intIn(flagIndex, 0, 1, "hasResidual") == 0) return -1;
  const size_t last = c.inputCount() - 1;
  const TensorDesc &r = c.input(last), &y = c.output(0);
  if (r.dtype != y.dtype || r.shape != y.shape)
    c.fail(cat("kernel ", c.layer().kernel, " expects its residual (last input) to have the output's type ",
               typeString(y.dtype, y.shape), ", got ", LayerCheck::describe(r)));
  return int64_t(c.inputId(last));
}

}  // namespace kiln::cpu
