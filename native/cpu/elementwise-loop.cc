// See elementwise-loop.h.
#include "elementwise-loop.h"

#include "broadcast.h"

namespace kiln::cpu {

NaryLoop planNaryLoop(const std::vector<Shape>& operands, const Shape& out) {
  NaryLoop loop;
  loop.operands = operands.size();
  std::vector<std::vector<int64_t>> s;
  for (const Shape& shape : operands) s.push_back(broadcastStrides(shape, out));
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;  // size-1 dims move no operand
    LoopOffsets here{};
    for (size_t k = 0; k < loop.operands; ++k) here[k] = s[k][i];
    if (!loop.dims.empty()) {
      // Merge into the previous dim when every operand continues seamlessly.
      bool seamless = true;
      for (size_t k = 0; k < loop.operands; ++k) seamless = seamless && loop.strides.back()[k] == here[k] * out[i];
      if (seamless) {
        loop.dims.back() *= out[i];
        loop.strides.back() = here;
        continue;
      }
    }
    loop.dims.push_back(out[i]);
    loop.strides.push_back(here);
  }
  if (loop.dims.empty()) {
    loop.dims = {1};
    loop.strides = {LoopOffsets{}};
  }
  return loop;
}

LoopOffsets NaryLoop::rowOffsets(uint64_t row) const {
  LoopOffsets off{};
  for (size_t i = dims.size() - 1; i-- > 0;) {
    const uint64_t d = static_cast<uint64_t>(dims[i]);
    const int64_t coord = static_cast<int64_t>(row % d);
    row /= d;
    for (size_t k = 0; k < operands; ++k) off[k] += coord * strides[i][k];
  }
  return off;
}

}  // namespace kiln::cpu
