// vec-kernels.inc compiled for the build's baseline (SSE2 on x86-64, NEON on
// arm64): the fallback of every vector routine.
#include <cstddef>

#define KILN_VEC(name) kiln_vec_generic_##name
#include "vec-kernels.inc"
#include "vec-kernels-8c.inc"
#include "vec-kernels-act.inc"
