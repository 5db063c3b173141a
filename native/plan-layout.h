// Constants of the plan file layout (native/PLAN_FORMAT.md), shared by the one
// writer and the one reader so the two cannot drift apart.
#pragma once

#include <cstdint>

namespace kiln::layout {

inline constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'P', 'L', 'A', 'N'};
inline constexpr uint32_t kFormatVersion = 4;

// Fixed header fields, by byte offset from the start of the file.
inline constexpr uint64_t kOffVersion = 8;        // u32
inline constexpr uint64_t kOffHeaderBytes = 12;   // u32
inline constexpr uint64_t kOffIsaMask = 16;       // u64
inline constexpr uint64_t kOffDigest = 24;        // 32 bytes
inline constexpr uint64_t kOffBodyBytes = 56;     // u64
inline constexpr uint64_t kOffChecksum = 64;      // u64
inline constexpr uint64_t kOffVersionLength = 72; // u32, then the version bytes
inline constexpr uint64_t kFixedHeaderBytes = 76;
inline constexpr uint64_t kMaxHeaderBytes = 4096;
inline constexpr uint64_t kHeaderAlignment = 8;
inline constexpr uint64_t kWeightsAlignment = 64;

// Section tags: four ASCII characters read as a little-endian u32.
constexpr uint32_t tag(char a, char b, char c, char d) {
  return uint32_t(uint8_t(a)) | uint32_t(uint8_t(b)) << 8 | uint32_t(uint8_t(c)) << 16 | uint32_t(uint8_t(d)) << 24;
}
inline constexpr uint32_t kTagStrings = tag('S', 'T', 'R', 'S');
inline constexpr uint32_t kTagTensors = tag('T', 'N', 'S', 'R');
inline constexpr uint32_t kTagGraph = tag('G', 'R', 'P', 'H');
inline constexpr uint32_t kTagLayers = tag('L', 'Y', 'R', 'S');
inline constexpr uint32_t kTagDynamic = tag('D', 'Y', 'N', 'S');  // optional: dynamic plans only
inline constexpr uint32_t kTagCuda = tag('C', 'U', 'D', 'A');  // optional: GPU plans only
inline constexpr uint32_t kTagWeights = tag('W', 'G', 'T', 'S');
inline constexpr uint64_t kSectionHeaderBytes = 16;  // u32 tag, u32 zero, u64 payload bytes

// Padding that brings `offset` up to a multiple of `alignment`.
constexpr uint64_t padTo(uint64_t offset, uint64_t alignment) {
  return (alignment - offset % alignment) % alignment;
}

}  // namespace kiln::layout
