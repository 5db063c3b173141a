// The GEMM epilogue: bias, residual and activation applied to a finished tile of C
// while it is still in L1, instead of in another pass over memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "layer-check.h"
#include "sgemm.h"

namespace kiln::cpu {

// Tile rows [row0, row0+rows), columns [col0, col0+cols) of the problem's C;
// `c` points at its first element (C itself, or a scratch tile laid out with ldc):
// c += bias; c += residual (read at the tile's coordinates, see Epilogue); c = act(c).
void applyEpilogue(const Epilogue& ep, float* c, size_t ldc, size_t rows, size_t cols, size_t row0, size_t col0);

inline bool epilogueIsEmpty(const Epilogue& ep) { return !ep.bias && !ep.residual && ep.act.kind == Act::none; }

// The fused residual of a conv or gemm layer: ints[flagIndex] is hasResidual when
// present (plans written before the residual existed end before it), and the
// residual is then the layer's last input, checked to have the output's type.
// Returns its tensor id, or -1.
int64_t readResidual(const LayerCheck& c, size_t flagIndex);

}  // namespace kiln::cpu
