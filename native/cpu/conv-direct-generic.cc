// conv-direct.inc compiled for the build's baseline: the fallback of the direct
// conv's register tile (conv-direct.h).
#include <cstddef>

#define KILN_CD(name) kiln_cd_generic_##name
#include "conv-direct.inc"
#include "pool-plane.inc"
