// Broadcast iteration over up to three operands (compare, prelu, where): the
// output's dims with size-1 dims dropped and adjacent dims merged wherever every
// operand stays contiguous or stays broadcast, so inner runs are as long as they
// can be. The binary kernel keeps its own two-operand BroadcastLoop.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "../dtype.h"
#include "../thread-pool.h"

namespace kiln::cpu {

inline constexpr size_t kMaxLoopOperands = 3;
using LoopOffsets = std::array<int64_t, kMaxLoopOperands>;

struct NaryLoop {
  size_t operands = 0;
  std::vector<int64_t> dims;         // outermost first, never empty
  std::vector<LoopOffsets> strides;  // per dim, per operand; innermost are 0 or 1
  uint64_t inner() const { return static_cast<uint64_t>(dims.back()); }
  // Element offset of each operand at the start of flat row `row`.
  LoopOffsets rowOffsets(uint64_t row) const;
};

// `operands` each broadcast to `out` (checked by the caller).
NaryLoop planNaryLoop(const std::vector<Shape>& operands, const Shape& out);

// Runs span(outIndex, offsets, innerStrides, n) over contiguous runs of the
// output, split into ranges across the pool: offsets are each operand's
// element offset at outIndex, innerStrides each operand's step (0 or 1).
template <typename Span>
void forEachSpan(const NaryLoop& loop, ThreadPool* pool, uint64_t total, size_t grain, Span&& span) {
  const uint64_t inner = loop.inner();
  const LoopOffsets step = loop.strides.back();
  pool->parallelRanges(total, grain, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end;) {
      const uint64_t row = i / inner, col = i % inner;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(inner - col, end - i));
      LoopOffsets off = loop.rowOffsets(row);
      for (size_t k = 0; k < loop.operands; ++k) off[k] += step[k] * static_cast<int64_t>(col);
      span(i, off, step, n);
      i += n;
    }
  });
}

}  // namespace kiln::cpu
