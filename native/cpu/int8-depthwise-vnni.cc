// The 3x3 int8 depthwise rows for VNNI CPUs (kiln_avx512vnni; reached only after
// cpuid reports avx512vnni, avx512vl and avx2): the AVX2 source with vpdpwssd, which
// multiplies the i16 tap pairs and adds them to the sum in one instruction (vpmaddwd +
// vpaddd in AVX2). The widening and the epilogue are the AVX2 code as it is.
#define KILN_INT8_VNNI 1
#include "int8-depthwise-avx2.cc"
