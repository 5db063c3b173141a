// The direct conv's register tile (conv-direct.inc) and the plane pools
// (pool-plane.inc), picked once per process for this CPU like vec-kernels.h: the
// AVX2+FMA build when cpuid allows, else the portable one (also forced by
// KILN_VEC_KERNELS=generic).
#pragma once

#include "kernel.h"

namespace kiln::cpu {

using DirectTileFn = void (*)(long K, const float* b0, const float* b1, const long* off, const float* w,
                              const float* bias, const float* r0, const float* r1, float* y0, float* y1, long ldy,
                              long rows, long n0, long n1, int clamp, float lo, float hi, long pf);

// The tile of this CPU; `isa` gets its name ("avx2" or "generic").
DirectTileFn directTile(const char** isa = nullptr);
// Orders the calling thread's streaming stores (the tile's pf < 0) before what follows.
void directFence();

struct PlanePoolFns {
  // pool-plane.inc pool_nhwc: output pixels [ox0, ox1) of row oy of one NHWC image.
  void (*nhwc)(const float* x, long H, long W, long ld, long C, long kh, long kw, long sh, long sw, long pt, long pl,
               long oy, long ox0, long ox1, long OW, int isMax, int includePad, float* y);
  void (*plane)(const float* x, long H, long W, long kh, long kw, long sh, long sw, long top, long left, long OH,
                long OW, int isMax, const float* rowScale, const float* colScale, float* vert, float* y);
  void (*reduce)(const float* x, long planes, long n, int isMax, float scale, float* out);
};
const PlanePoolFns& planePool();

// Winograd F(2x2, 3x3) output of 8 tiles straight into two output rows (conv-direct.inc).
using WinoOut8Fn = void (*)(const float* m, long stride, float bias, const float* r0, const float* r1, float* y0,
                            float* y1, long width, int clamp, float lo, float hi);
WinoOut8Fn winoOut8();

// Depthwise conv on NHWC over a zero-padded band of input rows (conv-direct.inc dw_nhwc).
using DwNhwcFn = void (*)(const float* x, long rowStride, long ldx, long nb, long kh, long kw, long sh, long sw,
                          long dh, long dw, const float* w, const float* bias, long oh, long OW, long ldy, int clamp,
                          float lo, float hi, float* y);
DwNhwcFn dwNhwc();
// Scratch floats pool_plane needs per row it keeps; callers give it two rows. Stride 2
// keeps each row as its even and odd columns, OW8 + kw / 2 + 1 floats each, 8 floats of
// slack after each (pool-plane.inc, pool_plane_s2).
inline long planePoolScratch(long OW, long kw, long sw) {
  const long ow8 = (OW + 7) / 8 * 8;
  return sw == 2 ? 2 * (ow8 + kw / 2 + 1) + 16 : (ow8 - 1) * sw + kw + 16;
}

KernelDef convDirectKernel();          // kernel-conv-direct.cc
KernelDef convWinogradFusedKernel();  // kernel-conv-winograd-fused.cc
KernelDef convWinogradF43Kernel();     // kernel-conv-winograd-f43.cc
KernelDef poolNhwcKernel();           // kernel-pool-nhwc.cc

}  // namespace kiln::cpu

extern "C" {
void kiln_cd_generic_tile(long, const float*, const float*, const long*, const float*, const float*, const float*,
                          const float*, float*, float*, long, long, long, long, int, float, float, long);
void kiln_cd_generic_pool_plane(const float*, long, long, long, long, long, long, long, long, long, long, int,
                                const float*, const float*, float*, float*);
void kiln_cd_avx2_pool_plane(const float*, long, long, long, long, long, long, long, long, long, long, int,
                             const float*, const float*, float*, float*);
void kiln_cd_generic_wino_out8(const float*, long, float, const float*, const float*, float*, float*, long, int,
                               float, float);
void kiln_cd_avx2_wino_out8(const float*, long, float, const float*, const float*, float*, float*, long, int, float,
                            float);
void kiln_cd_generic_dw_nhwc(const float*, long, long, long, long, long, long, long, long, long, const float*,
                             const float*, long, long, long, int, float, float, float*);
void kiln_cd_avx2_dw_nhwc(const float*, long, long, long, long, long, long, long, long, long, const float*, const float*,
                          long, long, long, int, float, float, float*);
void kiln_cd_generic_pool_nhwc(const float*, long, long, long, long, long, long, long, long, long, long, long, long,
                               long, long, int, int, float*);
void kiln_cd_avx2_pool_nhwc(const float*, long, long, long, long, long, long, long, long, long, long, long, long, long,
                            long, int, int, float*);
void kiln_cd_generic_plane_reduce(const float*, long, long, int, float, float*);
void kiln_cd_avx2_plane_reduce(const float*, long, long, int, float, float*);
void kiln_cd_generic_fence();
void kiln_cd_avx2_fence();
void kiln_cd_avx2_tile(long, const float*, const float*, const long*, const float*, const float*, const float*,
                       const float*, float*, float*, long, long, long, long, int, float, float, long);
}
