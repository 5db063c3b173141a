// See layout-view.h. Units (the innermost dim, or the innermost two when
// rows are short) are handed out to the pool in ranges; within a range the
// source offset is advanced like an odometer, so no unit pays for a division
// per dim.
#include "layout-view.h"

#include <algorithm>
#include <cstring>

namespace kiln::cpu {
namespace {

template <typename T>
void fillAs(T* dst, T value, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) dst[i] = value;
}

// One unit of output: n2 rows of n1 elements, the source walking s2 between
// rows and s1 within one. Short rows come in pairs like this so that views
// whose innermost run is a few elements (depthToSpace) do not pay the row
// bookkeeping per element.
template <typename T>
void copyUnit(T* dst, const T* src, int64_t n2, int64_t s2, int64_t n1, int64_t s1) {
  for (int64_t a = 0; a < n2; ++a, dst += n1) {
    const T* row = src + a * s2;
    if (s1 == 1) {
      std::memcpy(dst, row, static_cast<size_t>(n1) * sizeof(T));
    } else if (s1 == 0) {
      std::fill(dst, dst + n1, *row);
    } else if (s1 == -1) {
      for (int64_t i = 0; i < n1; ++i) dst[i] = row[-i];  // a constant stride the compiler vectorizes
    } else {
      for (int64_t i = 0; i < n1; ++i) dst[i] = row[i * s1];
    }
  }
}

void copyUnitBytes(uint8_t* dst, const uint8_t* src, int64_t n2, int64_t s2, int64_t n1, int64_t s1, size_t elemSize) {
  switch (elemSize) {
    case 1: return copyUnit(dst, src, n2, s2, n1, s1);
    case 2: return copyUnit(reinterpret_cast<uint16_t*>(dst), reinterpret_cast<const uint16_t*>(src), n2, s2, n1, s1);
    case 4: return copyUnit(reinterpret_cast<uint32_t*>(dst), reinterpret_cast<const uint32_t*>(src), n2, s2, n1, s1);
    default: return copyUnit(reinterpret_cast<uint64_t*>(dst), reinterpret_cast<const uint64_t*>(src), n2, s2, n1, s1);
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
  const size_t rank = view.dims.size();
  const int64_t n1 = view.dims.back(), s1 = view.strides.back();
  // Rows under 512 bytes travel two dims at a time.
  const bool pair = rank >= 2 && static_cast<uint64_t>(n1) * elemSize < 512;
  const size_t outer = rank - (pair ? 2 : 1);
  const int64_t n2 = pair ? view.dims[rank - 2] : 1, s2 = pair ? view.strides[rank - 2] : 0;
  uint64_t units = 1;
  for (size_t i = 0; i < outer; ++i) units *= static_cast<uint64_t>(view.dims[i]);
  // About 64 KiB of output per task: large enough to amortize the hand-out.
  const uint64_t unitBytes = static_cast<uint64_t>(n1 * n2) * elemSize;
  const size_t grain = unitBytes >= (1 << 16) ? 1 : static_cast<size_t>((1 << 16) / unitBytes);
  pool->parallelRanges(units, grain, [&](size_t begin, size_t end) {
    std::vector<int64_t> idx(outer, 0);
    int64_t off = view.offset;
    uint64_t rest = begin;
    for (size_t i = outer; i-- > 0;) {
      idx[i] = static_cast<int64_t>(rest % static_cast<uint64_t>(view.dims[i]));
      rest /= static_cast<uint64_t>(view.dims[i]);
      off += idx[i] * view.strides[i];
    }
    for (size_t unit = begin; unit < end; ++unit) {
      copyUnitBytes(dst + unit * unitBytes, src + off * static_cast<int64_t>(elemSize), n2, s2, n1, s1, elemSize);
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
