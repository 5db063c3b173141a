// conv-1x1.inc compiled for AVX2+FMA (kiln_avx2_vec in binding.gyp); only called
// after cpuid said the CPU has both (kernel-conv-1x1.cc).
#include <immintrin.h>

#include <cstddef>

#define KILN_PW(name) kiln_pw_avx2_##name
#include "conv-1x1.inc"
