// conv-small-c.inc compiled for AVX2+FMA (kiln_avx2_vec in binding.gyp); only
// called after cpuid said the CPU has both (kernel-conv-small-c.cc).
#define KILN_SC(name) kiln_sc_avx2_##name
#include "conv-small-c.inc"
