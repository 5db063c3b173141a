// Numpy-style broadcasting: shapes are aligned from the right and each pair of
// dims must be equal or contain a 1. Used by the binary kernel (elementwise)
// and the gemm kernel (batch dims of matrix products).
#pragma once

#include <cstdint>
#include <vector>

#include "../dtype.h"

namespace kiln::cpu {

// False when the shapes do not broadcast.
bool broadcastShapes(const Shape& a, const Shape& b, Shape* out);

// Element strides of `operand` (of rank <= out's rank) as seen from `out`'s
// index space: 0 where the operand is broadcast, left-padded with 0.
std::vector<int64_t> broadcastStrides(const Shape& operand, const Shape& out);

// A broadcast binary iteration with adjacent dims merged wherever both
// operands stay contiguous (or stay broadcast), so the inner loop is as long
// as possible. Inner strides are always 0 or 1.
struct BroadcastLoop {
  std::vector<int64_t> dims;  // outermost first, never empty
  std::vector<int64_t> strideA, strideB;
  uint64_t inner() const { return static_cast<uint64_t>(dims.back()); }
  // Element offsets of a and b at the start of flat row `row` (rows are
  // everything but the innermost dim).
  void rowOffsets(uint64_t row, int64_t* offA, int64_t* offB) const;
};

BroadcastLoop planBroadcastLoop(const Shape& a, const Shape& b, const Shape& out);

}  // namespace kiln::cpu
