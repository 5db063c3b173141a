// The vector routines of vec-kernels.inc, picked once per process for this
// CPU: the AVX2+FMA build when cpuid allows, else the portable one.
// KILN_VEC_KERNELS=generic (or KILN_GEMM_KERNEL=generic) forces the portable
// build, so tests can check both on one machine.
#pragma once

#include <cstddef>

namespace kiln::cpu {

struct VecKernels {
  const char* isa;
  void (*dwPlane)(const float* x, long rowStride, long sh, const float* w, const long* tap, long taps, float bias,
                  float lo, float hi, int clamp, float* y, long ldy, long oh, long ow);
  void (*reduceRows)(const float* x, long stride, long rows, long n, int isMax, float* out);
  void (*poolRow)(const float* t, long phaseLen, long s, long k, int isMax, float* out, long ow);
  void (*gemvPanel)(long rows, long K, const float* a, long lda, const float* panel, float* out);
  float (*fmaLoop)(long iters, float seed);  // 192 flops per iteration (benchmarks)
  void (*winoInput)(const float* const* even, const float* const* odd, long n, float* out, long stride);
  void (*winoOutput)(const float* m, long stride, long n, float bias, float* row0, float* row1);
  void (*deinterleave2)(const float* src, long n, float* even, float* odd);
  // The 8-channel interleaved layout (vec-kernels-8c.inc).
  void (*interleave8)(const float* src, long planeStride, long lanes, long n, float* dst);
  void (*deinterleave8)(const float* src, long n, long lanes, float* dst, long planeStride);
  void (*dw8Rows)(const float* s, long rowStride, long sh, long sw8, const float* w, const long* tap, long taps,
                  const float* b, float lo, float hi, int clamp, float* out, long oh, long ow);
  // dw8Rows for 3x3 kernels, dilation 1, stride sw of 1 or 2.
  void (*dw8Rows3x3)(const float* s, long rowStride, long sh, long sw, const float* w, const float* b, float lo,
                     float hi, int clamp, float* out, long oh, long ow);
  // y = gelu (kind 0, erf form), sigmoid (1), silu (2) or tanh (3) of x (vec-kernels-act.inc).
  void (*actTranscendental)(int kind, const float* x, float* y, long n);
};

const VecKernels& vecKernels();

}  // namespace kiln::cpu

#define KILN_VEC_DECLARE(isa)                                                                                        \
  extern "C" {                                                                                                       \
  void kiln_vec_##isa##_dw_plane(const float*, long, long, const float*, const long*, long, float, float, float, int, \
                                 float*, long, long, long);                                                           \
  void kiln_vec_##isa##_reduce_rows(const float*, long, long, long, int, float*);                                    \
  void kiln_vec_##isa##_pool_row(const float*, long, long, long, int, float*, long);                                 \
  void kiln_vec_##isa##_gemv_panel(long, long, const float*, long, const float*, float*);                            \
  float kiln_vec_##isa##_fma_loop(long, float);                                                                       \
  void kiln_vec_##isa##_wino_input(const float* const*, const float* const*, long, float*, long);                     \
  void kiln_vec_##isa##_wino_output(const float*, long, long, float, float*, float*);                                 \
  void kiln_vec_##isa##_deinterleave2(const float*, long, float*, float*);                                            \
  void kiln_vec_##isa##_interleave8(const float*, long, long, long, float*);                                          \
  void kiln_vec_##isa##_deinterleave8(const float*, long, long, float*, long);                                        \
  void kiln_vec_##isa##_dw8_rows(const float*, long, long, long, const float*, const long*, long, const float*, float, \
                                 float, int, float*, long, long);                                                     \
  void kiln_vec_##isa##_dw8_rows3x3(const float*, long, long, long, const float*, const float*, float, float, int,    \
                                    float*, long, long);                                                              \
  void kiln_vec_##isa##_act_transcendental(int, const float*, float*, long);                                         \
  }
KILN_VEC_DECLARE(generic)
KILN_VEC_DECLARE(avx2)
#undef KILN_VEC_DECLARE
