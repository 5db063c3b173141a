// See layout-view.h. Rows (every dim but the innermost) are handed out to the
// pool in ranges; within a range the source offset is advanced like an
// odometer, so no row pays for a division per dim.
#include "layout-view.h"

#include <cstring>

namespace kiln::cpu {
namespace {

template <typename T>
void fillAs(T* dst, T value, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) dst[i] = value;
}

template <typename T>
void gatherRow(T* dst, const T* src, int64_t stride, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
}

// One output row of `n` elements read from `src` with element stride `stride`.
void copyRow(uint8_t* dst, const uint8_t* src, int64_t stride, int64_t n, size_t elemSize) {
  if (stride == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * elemSize);
    return;
  }
  if (stride == 0) {
    fillElements(dst, src, elemSize, static_cast<uint64_t>(n));
    return;
  }
  switch (elemSize) {
    case 1: return gatherRow(dst, src, stride, n);
    case 2: return gatherRow(reinterpret_cast<uint16_t*>(dst), reinterpret_cast<const uint16_t*>(src), stride, n);
    case 4: return gatherRow(reinterpret_cast<uint32_t*>(dst), reinterpret_cast<const uint32_t*>(src), stride, n);
    default: return gatherRow(reinterpret_cast<uint64_t*>(dst), reinterpret_cast<const uint64_t*>(src), stride, n);
  }
}

}  // namespace

std::vector<int64_t> denseStrides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

void fillElements(uint8_t* dst, const uint8_t* value, size_t elemSize, uint64_t n) {
  switch (elemSize) {
    case 1: return void(std::memset(dst, *value, n));
    case 2: {
      uint16_t v;
      std::memcpy(&v, value, 2);
      return fillAs(reinterpret_cast<uint16_t*>(dst), v, n);
    }
    case 4: {
      uint32_t v;
      std::memcpy(&v, value, 4);
      return fillAs(reinterpret_cast<uint32_t*>(dst), v, n);
    }
    default: {
      uint64_t v;
      std::memcpy(&v, value, 8);
      return fillAs(reinterpret_cast<uint64_t*>(dst), v, n);
    }
  }
}

StridedView simplifyView(const StridedView& view) {
  StridedView out;
  out.offset = view.offset;
  for (size_t i = 0; i < view.dims.size(); ++i) {
    const int64_t d = view.dims[i], s = view.strides[i];
    if (d == 1) continue;
    // The previous dim steps over exactly this one: one longer run.
    if (!out.dims.empty() && out.strides.back() == s * d) {
      out.dims.back() *= d;
      out.strides.back() = s;
      continue;
    }
    out.dims.push_back(d);
    out.strides.push_back(s);
  }
  if (out.dims.empty()) out.dims = {1}, out.strides = {1};
  return out;
}

bool viewInBounds(const StridedView& view, uint64_t sourceElements) {
  int64_t lo = view.offset, hi = view.offset;
  for (size_t i = 0; i < view.dims.size(); ++i) {
    if (view.dims[i] < 1) return false;
    const int64_t reach = (view.dims[i] - 1) * view.strides[i];
    (reach < 0 ? lo : hi) += reach;
  }
  return lo >= 0 && hi >= 0 && static_cast<uint64_t>(hi) < sourceElements;
}

void copyView(const StridedView& view, size_t elemSize, const uint8_t* src, uint8_t* dst, ThreadPool* pool) {
  const size_t outer = view.dims.size() - 1;
  const int64_t inner = view.dims.back(), innerStride = view.strides.back();
  uint64_t rows = 1;
  for (size_t i = 0; i < outer; ++i) rows *= static_cast<uint64_t>(view.dims[i]);
  // About 64 KiB of output per task: large enough to amortize the hand-out.
  const uint64_t rowBytes = static_cast<uint64_t>(inner) * elemSize;
  const size_t grain = rowBytes >= (1 << 16) ? 1 : static_cast<size_t>((1 << 16) / rowBytes);
  pool->parallelRanges(rows, grain, [&](size_t begin, size_t end) {
    std::vector<int64_t> idx(outer, 0);
    int64_t off = view.offset;
    uint64_t rest = begin;
    for (size_t i = outer; i-- > 0;) {
      idx[i] = static_cast<int64_t>(rest % static_cast<uint64_t>(view.dims[i]));
      rest /= static_cast<uint64_t>(view.dims[i]);
      off += idx[i] * view.strides[i];
    }
    for (size_t row = begin; row < end; ++row) {
      copyRow(dst + row * rowBytes, src + off * static_cast<int64_t>(elemSize), innerStride, inner, elemSize);
      for (size_t i = outer; i-- > 0;) {
        off += view.strides[i];
        if (++idx[i] < view.dims[i]) break;
        off -= view.strides[i] * view.dims[i];
        idx[i] = 0;
      }
    }
  });
}

}  // namespace kiln::cpu
