// qmatmul's tile for VNNI CPUs (compiled into kiln_avx512vnni with -mavx512vnni
// -mavx512vl; reached only after cpuid reports avx512vnni, avx512vl and avx2): the
// AVX2 source with its multiply step as vpdpbusd, which sums 4 u8 x s8 products into
// each i32 lane in one instruction where AVX2 takes vpmaddubsw + vpmaddwd + vpaddd,
// and has no i16 saturation, so every weight matrix takes one plane. The epilogue is
// the AVX2 code as it is.
#define KILN_INT8_VNNI 1
#include "int8-matmul-avx2.cc"
