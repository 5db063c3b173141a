// vec-kernels.inc compiled for AVX2+FMA (-mavx2 -mfma -ffp-contract=fast in
// binding.gyp); only called after cpuid said the CPU has both.
#include <immintrin.h>

#include <cstddef>

#define KILN_VEC(name) kiln_vec_avx2_##name
#include "vec-kernels.inc"
#include "vec-kernels-8c.inc"
#include "vec-kernels-act.inc"
