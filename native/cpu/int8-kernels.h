// The NHWC int8 kernels (int8-matmul.cc, int8-depthwise.cc), listed in kernel-registry.cc.
#pragma once

#include "kernel.h"

namespace kiln::cpu {

KernelDef qmatmulKernel();
KernelDef qconvNhwcKernel();

}  // namespace kiln::cpu
