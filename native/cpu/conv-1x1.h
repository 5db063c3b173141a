// The pointwise conv's register tile (conv-1x1.inc), picked once per process for
// this CPU: the AVX2+FMA build when cpuid allows, else the portable one (also
// forced by KILN_VEC_KERNELS=generic).
#pragma once

#include "kernel.h"

extern "C" {
void kiln_pw_generic_run(long, const float*, long, const float*, const float*, const float*, float*, long, long, long,
                         int, float, float, int, long);
void kiln_pw_generic_fence();
void kiln_pw_avx2_run(long, const float*, long, const float*, const float*, const float*, float*, long, long, long,
                      int, float, float, int, long);
void kiln_pw_avx2_fence();
}

namespace kiln::cpu {

struct Conv1x1Fn {
  void (*run)(long K, const float* x, long ldx, const float* w, const float* bias, const float* r, float* y, long ldy,
              long rows, long n, int clamp, float lo, float hi, int nt, long pf);
  void (*fence)();
  const char* isa;
};

Conv1x1Fn conv1x1Tile();

KernelDef conv1x1Kernel();        // kernel-conv-1x1.cc
KernelDef conv1x1StreamKernel();  // kernel-conv-1x1.cc

}  // namespace kiln::cpu
