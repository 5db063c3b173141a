// winograd-f43.inc compiled for the build's baseline: the fallback of the F(4x4, 3x3)
// transforms (winograd-f43.h).
#include <cstddef>

#define KILN_WF(name) kiln_wf_generic_##name
#include "winograd-f43.inc"
