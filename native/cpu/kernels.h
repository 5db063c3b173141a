// Declarations of every kernel definition; each lives in its kernel-*.cc and
// is listed once in kernel-registry.cc.
#pragma once

#include "kernel.h"

namespace kiln::cpu {

KernelDef copyKernel();
KernelDef transposeKernel();
KernelDef unaryKernel();
KernelDef binaryKernel();
KernelDef scaleKernel();
KernelDef convKernel();
KernelDef poolKernel();
KernelDef poolI8Kernel();  // kernel-pool-i8.cc: max pools of i8 codes
KernelDef gemmKernel();
KernelDef gemmWideKernel();  // kernel-gemm.cc: gemm on the 4x24 tile
KernelDef softmaxKernel();
KernelDef concatKernel();
KernelDef sliceKernel(); KernelDef splitKernel(); KernelDef tileKernel(); KernelDef expandKernel(); KernelDef depthToSpaceKernel(); KernelDef spaceToDepthKernel(); KernelDef gatherKernel(); KernelDef gatherElementsKernel(); KernelDef padKernel(); KernelDef resizeKernel(); KernelDef triluKernel(); KernelDef fillKernel(); KernelDef rangeKernel(); KernelDef shapeKernel();  // layout family
KernelDef reduceKernel(); KernelDef argmaxKernel(); KernelDef hardmaxKernel(); KernelDef topkKernel(); KernelDef cumsumKernel(); KernelDef logSoftmaxKernel(); KernelDef layerNormKernel(); KernelDef instanceNormKernel(); KernelDef batchNormKernel();  // reduce family
KernelDef convDepthwiseKernel(); KernelDef pool2dKernel(); KernelDef gemvKernel(); KernelDef gemmRowsKernel(); KernelDef gemmBatchedKernel(); KernelDef softmaxRowsKernel(); KernelDef transposeTiledKernel(); KernelDef convWinogradKernel(); KernelDef convWideKernel(); KernelDef convWinogradWideKernel();  // tactics (codegen/cpu/tactics.ts)
KernelDef convDepthwise8cKernel();  // tactic: depthwise on 8-channel blocks
KernelDef convSmallCKernel();  // tactic: stem convs with 1-4 input channels
KernelDef convDepthwiseNhwcKernel();  // ConvNhwc (passes/assign-layout.ts)
KernelDef convNhwcKernel();  // ConvNhwc with groups 1 (the CUDA layout)
KernelDef deconvKernel();
KernelDef rnnKernel();
KernelDef gruKernel();
KernelDef lstmKernel();
KernelDef mathKernel();
KernelDef compareKernel();
KernelDef whereKernel();
KernelDef preluKernel();
KernelDef castKernel();
KernelDef modKernel();
KernelDef quantizeKernel(); KernelDef dequantizeKernel(); KernelDef qconvKernel(); KernelDef qgemmKernel();  // int8 (kernel-qconv.cc, int8-quantize.cc)
KernelDef pointwiseKernel();

// Shared f32 loops (y may equal an operand), so the pointwise kernel computes as the
// layers it fuses: math codes 0..28 (kernel-math.cc), binary codes 0..6 (kernel-binary.cc).
void mathF32(int64_t code, float alpha, float beta, const float* x, float* y, size_t n);
void binaryF32(int64_t code, const float* a, int64_t sa, const float* b, int64_t sb, float* y, size_t n);

}  // namespace kiln::cpu
