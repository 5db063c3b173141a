// The plan body checksum: FNV-1a, 64-bit (offset basis 0xcbf29ce484222325,
// prime 0x100000001b3), over every body byte in file order. Chosen because it
// is a dozen lines anyone can reimplement (the tests do, in JS) and it catches
// the damage we care about: truncation, flipped bytes, spliced files.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kiln {

uint64_t fnv1a64(const uint8_t* data, size_t size);

}  // namespace kiln
