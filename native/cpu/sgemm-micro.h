// Micro-kernel descriptors for the GEMM driver. A micro-kernel computes one
// MR x NR tile of C from a packed A panel (kc x MR, k-major) and a packed B
// panel (kc x NR, k-major): C = (accumulate ? C : 0) + A * B.
// Each ISA variant lives in its own translation unit compiled with that ISA's
// flags (binding.gyp); only plain C functions cross the boundary, so no inline
// function compiled with AVX can leak into portable code through the linker.
#pragma once

#include <cstddef>

namespace kiln::cpu {

using MicroKernelFn = void (*)(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate);
// The same with the epilogue fused before the store: bias per row (rowBias,
// MR values) or per column (colBias, NR values), then clamp 1 = relu
// (max with lo), 2 = clip to [lo, hi], 0 = none.
using MicroKernelEpilogueFn = void (*)(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate,
                                       const float* rowBias, const float* colBias, float lo, float hi, int clamp);

// The last cols (< NR) columns of a KC block for all `rows` rows of a packed
// A block (panels of mr rows, kc * mr floats apart) against one packed B panel
// (kc x nr): C[0:rows, 0:cols] = (accumulate ? C : 0) + A * B.
using MicroColsFn = void (*)(size_t kc, const float* a, size_t mr, size_t rows, const float* b, size_t nr, size_t cols,
                             float* c, size_t ldc, bool accumulate);

struct MicroKernel {
  const char* name;
  MicroKernelFn fn;
  size_t mr, nr;  // register tile
  size_t mc, kc, nc;  // cache blocks: A block mc x kc stays in L2, B panel kc x nr in L1
  MicroKernelEpilogueFn withEpilogue = nullptr;  // null: the driver applies the epilogue after the store
  // Column remainders of at most colsMax columns go to `cols` (null: padded tiles).
  MicroColsFn cols = nullptr;
  size_t colsMax = 0;
};

// Largest register tile of any variant: edge tiles go through a stack buffer of this size.
inline constexpr size_t kMaxMr = 16;
inline constexpr size_t kMaxNr = 32;

// The best kernel for this CPU; KILN_GEMM_KERNEL=generic|avx2|avx512 in the
// environment forces a variant (ignored when the CPU cannot run it).
const MicroKernel& activeMicroKernel();

// The kernel for a tile shape (sgemm.h's MicroTile): the wide 4x24 tile where
// the active kernel is AVX2's, else the active kernel itself.
const MicroKernel& microKernelFor(int tile);

}  // namespace kiln::cpu

// Implemented in the per-ISA translation units.
extern "C" {
void kiln_sgemm_generic_4x8(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate);
void kiln_sgemm_avx2_6x16(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate);
void kiln_sgemm_avx2_6x16_epilogue(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate,
                                   const float* rowBias, const float* colBias, float lo, float hi, int clamp);
void kiln_sgemm_avx2_cols(size_t kc, const float* a, size_t mr, size_t rows, const float* b, size_t nr, size_t cols,
                          float* c, size_t ldc, bool accumulate);
void kiln_sgemm_avx2_4x24(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate);
void kiln_sgemm_avx2_4x24_epilogue(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate,
                                   const float* rowBias, const float* colBias, float lo, float hi, int clamp);
void kiln_sgemm_avx512_12x32(size_t kc, const float* a, const float* b, float* c, size_t ldc, bool accumulate);
}
