// winograd-f43.inc compiled for AVX2+FMA (kiln_avx2_vec in binding.gyp); only called
// after cpuid said the CPU has both (winograd-f43.h).
#include <immintrin.h>

#include <cstddef>

#define KILN_WF(name) kiln_wf_avx2_##name
#include "winograd-f43.inc"
