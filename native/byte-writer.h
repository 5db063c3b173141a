// ByteWriter: appends little-endian values to a growing byte vector. The plan
// writer's only way to emit bytes, so endianness is handled in one place.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace kiln {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

  uint64_t position() const { return out_.size(); }

  void u32(uint32_t v) { little(v); }
  void u64(uint64_t v) { little(v); }
  void i64(int64_t v) { little(static_cast<uint64_t>(v)); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    little(bits);
  }
  void bytes(const uint8_t* data, size_t size) {
    if (size) out_.insert(out_.end(), data, data + size);
  }
  void string(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  void zeros(size_t count) { out_.insert(out_.end(), count, 0); }

  // Overwrites a u64 written earlier (section lengths are known only at the end).
  void patchU64(uint64_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) out_[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }

 private:
  template <typename T>
  void little(T v) {
    for (size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  std::vector<uint8_t>& out_;
};

}  // namespace kiln
