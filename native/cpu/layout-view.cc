// See layout-view.h. Units (the innermost dim, or the innermost two when
// rows are short), cut into pieces when large, are handed out to the pool in
// ranges; within a range the source offset is advanced like an odometer, so
// no unit pays for a division per dim.
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
  if (s2 == 1 && n1 <= 16 && n1 > 1) {
    // Interleaving n1 contiguous source runs (depthToSpace): read each run in
    // order and scatter it with stride n1, which keeps the reads vectorized.
    for (int64_t b = 0; b < n1; ++b) {
      const T* run = src + b * s1;
      for (int64_t a = 0; a < n2; ++a) dst[a * n1 + b] = run[a];
    }
    return;
  }
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
  // A unit larger than 64 KiB is cut into pieces (of rows when paired, of its
  // one row otherwise), so a view that merged into a few huge rows still
  // spreads over the threads; small units are grouped to about 64 KiB a task.
  constexpr uint64_t kTarget = 1 << 16;
  const uint64_t rowBytes = static_cast<uint64_t>(n1) * elemSize;
  const int64_t pieceLen = pair ? std::max<int64_t>(1, static_cast<int64_t>(kTarget / rowBytes))
                                : std::max<int64_t>(1, static_cast<int64_t>(kTarget / elemSize));
  const int64_t span = pair ? n2 : n1;
  const uint64_t pieces = static_cast<uint64_t>((span + pieceLen - 1) / pieceLen);
  const uint64_t unitBytes = static_cast<uint64_t>(n2) * rowBytes;
  const uint64_t pieceBytes = std::min<uint64_t>(unitBytes, static_cast<uint64_t>(pieceLen) * (pair ? rowBytes : elemSize));
  const size_t grain = pieceBytes >= kTarget ? 1 : static_cast<size_t>(kTarget / pieceBytes);
  pool->parallelRanges(units * pieces, grain, [&](size_t begin, size_t end) {
    std::vector<int64_t> idx(outer, 0);
    int64_t off = view.offset;
    uint64_t unit = begin / pieces, piece = begin % pieces, rest = unit;
    for (size_t i = outer; i-- > 0;) {
      idx[i] = static_cast<int64_t>(rest % static_cast<uint64_t>(view.dims[i]));
      rest /= static_cast<uint64_t>(view.dims[i]);
      off += idx[i] * view.strides[i];
    }
    for (size_t item = begin; item < end; ++item) {
      const int64_t from = static_cast<int64_t>(piece) * pieceLen, len = std::min(pieceLen, span - from);
      uint8_t* out = dst + unit * unitBytes + static_cast<uint64_t>(from) * (pair ? rowBytes : elemSize);
      const int64_t at = off + from * (pair ? s2 : s1);
      if (pair) copyUnitBytes(out, src + at * static_cast<int64_t>(elemSize), len, s2, n1, s1, elemSize);
      else copyUnitBytes(out, src + at * static_cast<int64_t>(elemSize), 1, 0, len, s1, elemSize);
      if (++piece < pieces) continue;
      piece = 0;
      ++unit;
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
