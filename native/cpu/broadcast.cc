// See broadcast.h.
#include "broadcast.h"

namespace kiln::cpu {

bool broadcastShapes(const Shape& a, const Shape& b, Shape* out) {
  const size_t rank = a.size() > b.size() ? a.size() : b.size();
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    result[i] = da == 1 ? db : da;
  }
  *out = std::move(result);
  return true;
}

std::vector<int64_t> broadcastStrides(const Shape& operand, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = operand.size(); i-- > 0;) {
    const size_t o = i + (out.size() - operand.size());
    strides[o] = operand[i] == 1 ? 0 : stride;
    stride *= operand[i];
  }
  return strides;
}

BroadcastLoop planBroadcastLoop(const Shape& a, const Shape& b, const Shape& out) {
  const std::vector<int64_t> sa = broadcastStrides(a, out), sb = broadcastStrides(b, out);
  BroadcastLoop loop;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 1) continue;  // size-1 dims do not move either operand
    if (!loop.dims.empty()) {
      // Merge into the previous dim when both operands continue seamlessly.
      const int64_t d = out[i];
      if (loop.strideA.back() == sa[i] * d && loop.strideB.back() == sb[i] * d) {
        loop.dims.back() *= d;
        loop.strideA.back() = sa[i];
        loop.strideB.back() = sb[i];
        continue;
      }
    }
    loop.dims.push_back(out[i]);
    loop.strideA.push_back(sa[i]);
    loop.strideB.push_back(sb[i]);
  }
  if (loop.dims.empty()) {
    loop.dims = {1};
    loop.strideA = {0};
    loop.strideB = {0};
  }
  return loop;
}

void BroadcastLoop::rowOffsets(uint64_t row, int64_t* offA, int64_t* offB) const {
  int64_t oa = 0, ob = 0;
  for (size_t i = dims.size() - 1; i-- > 0;) {
    const uint64_t d = static_cast<uint64_t>(dims[i]);
    const int64_t coord = static_cast<int64_t>(row % d);
    row /= d;
    oa += coord * strideA[i];
    ob += coord * strideB[i];
  }
  *offA = oa;
  *offB = ob;
}

}  // namespace kiln::cpu
