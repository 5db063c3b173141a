// The packed-B GEMM of the gemmPacked kernel: C[m x n] = A[m x k] * B[k x n] with
// a constant B packed once (16-column panels per K block) and shared by every
// layer op that reads the same weights, so a dynamic plan's new shape sets and
// the autotuner's trial runs never pack it again. A is read in place (row-major,
// any row stride): with the small M of transformer layers (batch x seq rows)
// packing A costs as much as it saves. The epilogue (bias, residual, relu, clip,
// leakyRelu and GELU's erf form) is applied in registers on the last K block,
// while the tile is still in them. Panels go to threads as (row chunk, column
// chunk) tasks, several per thread, so a preempted thread's share is small.
#pragma once

#include <cstddef>
#include <memory>

#include "../aligned-buffer.h"
#include "../thread-pool.h"
#include "activation.h"
#include "sgemm.h"

namespace kiln::cpu {

// Panel width of the packed B (two AVX2 vectors) and the most rows of one register tile.
inline constexpr size_t kPackedNr = 16;
inline constexpr size_t kPackedMr = 6;

struct PackedB {
  size_t k = 0, n = 0;
  size_t kc = 0;      // rows of B per K block (the last may be shorter)
  size_t panels = 0;  // ceil(n / 16)
  AlignedBuffer data;  // K block at pc * panels * 16, its panel j at + j * kcb * 16 (kcb = that block's rows)
};

// B (k x n, element (i, j) at b.at(i, j)) packed, or the one packed earlier from the
// same memory and layout while any op still holds it.
std::shared_ptr<const PackedB> sharedPackedB(const MatrixRef& b, size_t k, size_t n);

struct PackedGemm {
  size_t m = 0;
  const float* a = nullptr;  // m x k, row i at a + i * lda
  size_t lda = 0;
  const PackedB* b = nullptr;
  float* c = nullptr;  // m x n, row i at c + i * ldc
  size_t ldc = 0;
  const float* bias = nullptr;      // n values or null
  const float* residual = nullptr;  // m x n at residual + i * ldr, or null
  size_t ldr = 0;
  Activation act;
};

void packedGemm(ThreadPool& pool, const PackedGemm& g);

// Name of the register tile in use ("avx2-6x16" or "generic"), for tests.
const char* packedGemmKernelName();

}  // namespace kiln::cpu

namespace kiln::cpu {
struct KernelDef;
KernelDef gemmPackedKernel();  // kernel-gemm-packed.cc
}  // namespace kiln::cpu
