// CPU ISA features: what this machine has (read once via cpuid) and the bit
// each feature has in a plan's "required ISA" mask. Kernel dispatch and the
// plan loader's compatibility check both ask here, so they cannot disagree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

// Bit positions are plan format: append only, never renumber.
namespace isa {
inline constexpr uint64_t kSse41 = 1ull << 0;
inline constexpr uint64_t kSse42 = 1ull << 1;
inline constexpr uint64_t kAvx = 1ull << 2;
inline constexpr uint64_t kAvx2 = 1ull << 3;
inline constexpr uint64_t kFma = 1ull << 4;
inline constexpr uint64_t kF16c = 1ull << 5;
inline constexpr uint64_t kAvx512f = 1ull << 6;
inline constexpr uint64_t kAvx512bw = 1ull << 7;
inline constexpr uint64_t kAvx512dq = 1ull << 8;
inline constexpr uint64_t kAvx512vl = 1ull << 9;
inline constexpr uint64_t kAvx512vnni = 1ull << 10;
inline constexpr uint64_t kAvx512bf16 = 1ull << 11;
inline constexpr uint64_t kAvxvnni = 1ull << 12;
inline constexpr uint64_t kAvx512fp16 = 1ull << 13;
}  // namespace isa

// Features of this machine that the OS also enabled (XSAVE state), cached.
uint64_t hostIsaMask();

// Every bit this runtime knows a name for.
uint64_t knownIsaMask();

// Names of the set bits, in bit order; unknown bits print as "bit<N>".
std::vector<std::string> isaNames(uint64_t mask);

// False when the name is not a known feature.
bool isaBitFromName(std::string_view name, uint64_t* bit);

// "sse4.1, sse4.2, avx, ..." for "known features are ..." messages.
std::string knownIsaNameList();

}  // namespace kiln
