// conv-direct.inc compiled for AVX2+FMA (kiln_avx2_vec in binding.gyp); only
// called after cpuid said the CPU has both (conv-direct.h).
#include <immintrin.h>

#include <cstddef>

#define KILN_CD(name) kiln_cd_avx2_##name
#include "conv-direct.inc"
#include "pool-plane.inc"
