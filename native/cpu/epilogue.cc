// See epilogue.h. Row by row so bias and activation touch each row once.
#include "epilogue.h"

namespace kiln::cpu {

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
    if (ep.act.kind != Act::none) applyActivation(ep.act, ci, ci, cols);
  }
}

}  // namespace kiln::cpu
