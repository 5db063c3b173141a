// The Winograd int8 GEMM tiles (int8-winograd.h) for AVX-512 VNNI CPUs, compiled into
// kiln_avx512vnni (-mavx512f/bw/dq/vl/vnni); reached only after cpuid reports those:
// vpdpwssd sums the two i16 x i16 products of each i32 lane into it in one
// instruction, where AVX2 takes vpmaddwd + vpaddd. Exact either way (i32 sums).
// The AVX2 tile's 4 x 24 shape and layouts in ymm (KILN_INT8_TILE=vnni256):
// int8WinogradMicroVnni.
#define KILN_INT8_VNNI 1
#include "int8-winograd-avx2.cc"

namespace kiln::cpu {

// acc[8][32]: 16 zmm accumulators (8 rows x 2 vectors of 16 tiles), the pair's V in
// zmm30-31, each row's U pair as vpdpwssd's broadcast memory operand. In assembly, as
// the zmm stem's loop (int8-stem-avx512.cc; with intrinsics GCC may copy accumulators
// between registers every step); the accumulators are outputs only, zeroed inside,
// which keeps the asm within its 30 operands.
void int8WinogradMicroAvx512(const int16_t* a, const int16_t* b, size_t kp, int32_t* acc) {
  __m512i c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
#define KILN_ZERO(i) "vpxord %[c" #i "0], %[c" #i "0], %[c" #i "0]\n\t vpxord %[c" #i "1], %[c" #i "1], %[c" #i "1]\n\t"
#define KILN_ROW(i, o) "vpdpwssd " #o "(%[a])%{1to16%}, %%zmm30, %[c" #i "0]\n\t vpdpwssd " #o "(%[a])%{1to16%}, %%zmm31, %[c" #i "1]\n\t"
  __asm__(
      KILN_ZERO(0) KILN_ZERO(1) KILN_ZERO(2) KILN_ZERO(3) KILN_ZERO(4) KILN_ZERO(5) KILN_ZERO(6) KILN_ZERO(7)
      "test %[kp], %[kp]\n\t jz 2f\n"
      "1:\n\t vmovdqu64 (%[b]), %%zmm30\n\t vmovdqu64 64(%[b]), %%zmm31\n\t"
      KILN_ROW(0, 0) KILN_ROW(1, 4) KILN_ROW(2, 8) KILN_ROW(3, 12) KILN_ROW(4, 16) KILN_ROW(5, 20) KILN_ROW(6, 24) KILN_ROW(7, 28)
      "add $32, %[a]\n\t add $128, %[b]\n\t dec %[kp]\n\t jnz 1b\n"
      "2:\n\t"
      : [c00] "=v"(c00), [c01] "=v"(c01), [c10] "=v"(c10), [c11] "=v"(c11), [c20] "=v"(c20), [c21] "=v"(c21), [c30] "=v"(c30), [c31] "=v"(c31),
        [c40] "=v"(c40), [c41] "=v"(c41), [c50] "=v"(c50), [c51] "=v"(c51), [c60] "=v"(c60), [c61] "=v"(c61), [c70] "=v"(c70), [c71] "=v"(c71),
        [a] "+r"(a), [b] "+r"(b), [kp] "+r"(kp)
      : "m"(*(const char(*)[])a), "m"(*(const char(*)[])b)
      : "cc", "xmm30", "xmm31");
#undef KILN_ROW
#undef KILN_ZERO
  const __m512i c[16] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71};
  for (size_t i = 0; i < 16; ++i) _mm512_storeu_si512(acc + 16 * i, c[i]);
}

}  // namespace kiln::cpu
