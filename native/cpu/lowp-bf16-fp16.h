// bf16 / fp16 storage on the CPU: conversions between f32 and the two 16-bit
// float formats (round to nearest even, bit for bit src/interpret/float16.ts),
// and the weight-streaming GEMV that reads 16-bit weights and accumulates in
// f32. Each routine has a portable version and ISA versions in their own
// static libraries (AVX2 + F16C; AVX-512 BF16 for vdpbf16ps), picked once per
// process by cpuid. KILN_LOWP_KERNEL=generic|avx2|avx512bf16 forces one; a
// variant this CPU cannot run falls back to the best one it can.
#pragma once

#include <cstddef>
#include <cstdint>

#include "../dtype.h"
#include "kernel.h"

namespace kiln::cpu {

// Panel width of the 16-bit GEMV: 16 output columns, K rows (layout per variant).
inline constexpr size_t kLowpPanel = 16;

// bf16 panel layouts: k-major; k-major with columns 4-7 and 8-11 swapped, so that
// AVX2's 16-bit unpacks of one 32-byte row widen straight into columns 0-7 and
// 8-15; or pairs of k next to each other per column (vdpbf16ps).
enum class BF16Panel { kMajor, kMajorSwizzled, kPairs };

inline size_t bf16PanelSlot(BF16Panel layout, size_t k, size_t j) {
  switch (layout) {
    case BF16Panel::kPairs: return (k / 2) * 32 + j * 2 + k % 2;
    case BF16Panel::kMajorSwizzled: return k * kLowpPanel + ((j & 12) == 4 || (j & 12) == 8 ? j ^ 12 : j);
    case BF16Panel::kMajor: break;
  }
  return k * kLowpPanel + j;
}

struct LowpRoutines {
  const char* name;
  // n values of a 16-bit format (bf16 when `bf16`, else f16) to f32, and back with rounding.
  void (*widen)(const uint16_t* src, float* dst, size_t n, int bf16);
  void (*narrow)(const float* src, uint16_t* dst, size_t n, int bf16);
  // out[r*16 + j] = sum_k a[r*lda + k] * panel(k, j), rows <= 4, panel from packGemvPanel.
  void (*gemvPanel)(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16);
  // Where bf16 weight (k, column j) of a panel lives (fp16 panels are always k-major).
  BF16Panel bf16Panel;
};

const LowpRoutines& lowpRoutines();

// The kernels: every f32 conv / gemm tactic wrapped for 16-bit storage, and the
// GEMV that streams 16-bit weights (kernel-gemm-bf16.cc, kernel-lowp-fp16.cc).
KernelDef lowpConvKernel();
KernelDef lowpConvWideKernel();
KernelDef lowpConvWinogradKernel();
KernelDef lowpConvWinogradWideKernel();
KernelDef lowpConvDepthwiseKernel();
KernelDef lowpGemmKernel();
KernelDef lowpGemmRowsKernel();
KernelDef lowpGemvKernel();
KernelDef gemvBf16Kernel();

}  // namespace kiln::cpu

// The ISA variants (plain C functions, so nothing inline crosses between flag sets).
extern "C" {
void kiln_lowp_widen_generic(const uint16_t* src, float* dst, size_t n, int bf16);
void kiln_lowp_narrow_generic(const float* src, uint16_t* dst, size_t n, int bf16);
void kiln_lowp_gemv_generic(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16);
void kiln_lowp_widen_avx2(const uint16_t* src, float* dst, size_t n, int bf16);
void kiln_lowp_narrow_avx2(const float* src, uint16_t* dst, size_t n, int bf16);
void kiln_lowp_gemv_avx2(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16);
void kiln_lowp_gemv_avx512bf16(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16);
}
