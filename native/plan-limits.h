// Hard limits every plan must respect. They keep a hostile or corrupted file
// from making the reader allocate absurd amounts of memory before it notices,
// and are far above anything a real model needs.
#pragma once

#include <cstdint>

namespace kiln::limits {

inline constexpr uint32_t kMaxRank = 8;
inline constexpr uint64_t kMaxTensors = 1u << 24;
inline constexpr uint64_t kMaxLayers = 1u << 24;
inline constexpr uint64_t kMaxLayerOperands = 1u << 16;  // inputs or outputs of one layer
inline constexpr uint64_t kMaxLayerParams = 1u << 16;    // ints or floats of one layer
inline constexpr uint64_t kMaxStringBytes = 1u << 24;
inline constexpr uint64_t kMaxVersionBytes = 256;
inline constexpr uint64_t kMaxElements = 1ull << 48;
inline constexpr uint64_t kMaxArenaBytes = 1ull << 40;
inline constexpr uint64_t kMaxWeightsBytes = 1ull << 40;
inline constexpr uint32_t kMaxProfiles = 64;
inline constexpr uint32_t kMaxDimProgram = 256;  // words of one dim's program

}  // namespace kiln::limits
