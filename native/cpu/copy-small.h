// Copies and fills of short float runs (a GEMM panel row is 8..32 floats, an
// im2col run often less): fixed 32-byte chunks the compiler inlines as vector
// moves, where a call to memcpy / memset would cost more than the copy.
#pragma once

#include <cstddef>
#include <cstring>

namespace kiln::cpu {

inline void copyFloats(float* dst, const float* src, size_t n) {
  for (; n >= 8; n -= 8, dst += 8, src += 8) std::memcpy(dst, src, 32);
  for (size_t i = 0; i < n; ++i) dst[i] = src[i];
}

inline void zeroFloats(float* dst, size_t n) {
  static const float kZeros[8] = {};
  for (; n >= 8; n -= 8, dst += 8) std::memcpy(dst, kZeros, 32);
  for (size_t i = 0; i < n; ++i) dst[i] = 0.f;
}

}  // namespace kiln::cpu
