// The int8 dot-product core of QConv and QGemm. Operands are i8 values already
// widened to i16 and zero-padded to a multiple of 16 along K, so the AVX2 path is
// one _mm256_madd_epi16 per 16 products with exact i32 sums (no vpmaddubsw
// saturation to worry about), and padding adds nothing.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln::cpu {

inline constexpr size_t kInt8KStep = 16;

inline size_t int8PaddedK(size_t k) { return (k + kInt8KStep - 1) / kInt8KStep * kInt8KStep; }

// out[j] = sum_k x[k] * w[j * kp + k] for j < n; kp a multiple of kInt8KStep.
using Int8DotRowsFn = void (*)(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out);

void int8DotRowsGeneric(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out);
#if defined(__x86_64__) || defined(_M_X64)
void int8DotRowsAvx2(const int16_t* x, size_t kp, const int16_t* w, size_t n, int32_t* out);
#endif

// The fastest implementation this CPU runs (AVX2 when cpuid says so), chosen once.
Int8DotRowsFn int8DotRows();

}  // namespace kiln::cpu
