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
KernelDef gemmKernel();
KernelDef softmaxKernel();
KernelDef concatKernel();
KernelDef sliceKernel(); KernelDef splitKernel(); KernelDef tileKernel(); KernelDef expandKernel(); KernelDef depthToSpaceKernel(); KernelDef spaceToDepthKernel(); KernelDef gatherKernel(); KernelDef gatherElementsKernel(); KernelDef padKernel(); KernelDef resizeKernel(); KernelDef triluKernel(); KernelDef fillKernel(); KernelDef rangeKernel(); KernelDef shapeKernel();  // layout family
KernelDef reduceKernel(); KernelDef argmaxKernel(); KernelDef hardmaxKernel(); KernelDef topkKernel(); KernelDef cumsumKernel(); KernelDef logSoftmaxKernel(); KernelDef layerNormKernel(); KernelDef instanceNormKernel(); KernelDef batchNormKernel();  // reduce family
KernelDef convDepthwiseKernel(); KernelDef pool2dKernel(); KernelDef gemvKernel();  // tactics (codegen/cpu/tactics.ts)
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

}  // namespace kiln::cpu
