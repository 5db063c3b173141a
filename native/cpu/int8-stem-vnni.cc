// Int8Stem's row for VNNI CPUs (kiln_avx512vnni; reached only where int8Tile() chose
// the VNNI tile): the AVX2 source with the tile's sums through vpdpbusd
// (int8-tile-avx2.h's KILN_INT8_VNNI loop). The tap pairing against vpmaddubsw's
// saturation stays: any order of the taps gives the same exact sums.
#define KILN_INT8_VNNI 1
#include "int8-stem-avx2.cc"
