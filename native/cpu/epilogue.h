// The GEMM epilogue: bias and activation applied to a finished tile of C
// while it is still in L1, instead of in another pass over memory.
#pragma once

#include <cstddef>

#include "sgemm.h"

namespace kiln::cpu {

// Tile rows [row0, row0+rows), columns [col0, col0+cols) of the problem's C;
// `c` points at its first element.
void applyEpilogue(const Epilogue& ep, float* c, size_t ldc, size_t rows, size_t cols, size_t row0, size_t col0);

inline bool epilogueIsEmpty(const Epilogue& ep) { return !ep.bias && ep.act.kind == Act::none; }

}  // namespace kiln::cpu
