// Portable bf16 / fp16 routines and the per-process choice of variant (see
// lowp-bf16-fp16.h).
#include "lowp-bf16-fp16.h"

#include <cstdlib>
#include <cstring>

#include "../cpu-features.h"
#include "elementwise-types.h"

extern "C" {

void kiln_lowp_widen_generic(const uint16_t* src, float* dst, size_t n, int bf16) {
  if (bf16)
    for (size_t i = 0; i < n; ++i) dst[i] = kiln::cpu::bf16ToF32(src[i]);
  else
    for (size_t i = 0; i < n; ++i) dst[i] = kiln::cpu::f16ToF32(src[i]);
}

void kiln_lowp_narrow_generic(const float* src, uint16_t* dst, size_t n, int bf16) {
  if (bf16)
    for (size_t i = 0; i < n; ++i) dst[i] = kiln::cpu::f32ToBF16(src[i]);
  else
    for (size_t i = 0; i < n; ++i) dst[i] = kiln::cpu::f32ToF16(src[i]);
}

void kiln_lowp_gemv_generic(long rows, long K, const float* a, long lda, const uint16_t* panel, float* out, int bf16) {
  constexpr long P = long(kiln::cpu::kLowpPanel);
  for (long r = 0; r < rows; ++r) {
    float acc[P] = {};
    for (long k = 0; k < K; ++k) {
      const float x = a[r * lda + k];
      for (long j = 0; j < P; ++j) {
        const uint16_t w = panel[k * P + j];
        acc[j] += x * (bf16 ? kiln::cpu::bf16ToF32(w) : kiln::cpu::f16ToF32(w));
      }
    }
    std::memcpy(out + r * P, acc, sizeof acc);
  }
}

}  // extern "C"

namespace kiln::cpu {
namespace {

constexpr LowpRoutines kGeneric{"generic", kiln_lowp_widen_generic, kiln_lowp_narrow_generic, kiln_lowp_gemv_generic, BF16Panel::kMajor};
#ifdef KILN_HAVE_AVX2
constexpr LowpRoutines kAvx2{"avx2", kiln_lowp_widen_avx2, kiln_lowp_narrow_avx2, kiln_lowp_gemv_avx2, BF16Panel::kMajorSwizzled};
#endif
#ifdef KILN_HAVE_AVX512BF16
constexpr LowpRoutines kAvx512Bf16{"avx512bf16", kiln_lowp_widen_avx2, kiln_lowp_narrow_avx2, kiln_lowp_gemv_avx512bf16, BF16Panel::kPairs};
#endif

const LowpRoutines& pick() {
  const uint64_t host = hostIsaMask();
  const char* forced = std::getenv("KILN_LOWP_KERNEL");
  if (!forced) forced = std::getenv("KILN_GEMM_KERNEL");  // generic there means generic everywhere
  (void)host;
  if (forced && std::strcmp(forced, "generic") == 0) return kGeneric;
#ifdef KILN_HAVE_AVX2
  const bool avx2 = (host & isa::kAvx2) && (host & isa::kFma) && (host & isa::kF16c);
#ifdef KILN_HAVE_AVX512BF16
  // vdpbf16ps needs the whole AVX-512 set it is encoded in; the widening and
  // narrowing loops of this variant are AVX2's.
  const uint64_t bf16Set = isa::kAvx512f | isa::kAvx512bw | isa::kAvx512vl | isa::kAvx512bf16;
  if (avx2 && (host & bf16Set) == bf16Set && (!forced || std::strcmp(forced, "avx2") != 0)) return kAvx512Bf16;
#endif
  if (avx2) return kAvx2;
#endif
  return kGeneric;
}

}  // namespace

const LowpRoutines& lowpRoutines() {
  static const LowpRoutines& r = pick();
  return r;
}

}  // namespace kiln::cpu
