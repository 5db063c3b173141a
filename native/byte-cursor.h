// ByteCursor: a bounds-checked little-endian reader over [begin, end) of a
// plan file. Every read checks the remaining length first and, when it would
// run past the end, throws KILN_PLAN_CORRUPT naming the item being read (set by
// the reader with setItem), how many bytes it needed, at which file offset, and
// where the bytes run out; e.g. "plan is truncated: layer 3 'conv1' needs 40
// bytes at offset 912, section 'LYRS' ends at offset 900".
#pragma once

#include <cstdint>
#include <string>

namespace kiln {

class ByteCursor {
 public:
  // `limitText` finishes truncation messages: "file has 900 bytes",
  // "section 'LYRS' ends at offset 900".
  ByteCursor(const uint8_t* file, uint64_t begin, uint64_t end, std::string limitText);

  void setItem(std::string item) { item_ = std::move(item); }
  const std::string& item() const { return item_; }

  // Throws unless `n` more bytes are available.
  void need(uint64_t n) const;
  // Throws unless `count` items of at least `each` bytes could still fit,
  // so a corrupted count cannot make us reserve gigabytes.
  void needItems(uint64_t count, uint64_t each) const;

  uint32_t u32();
  uint64_t u64();
  int64_t i64() { return static_cast<int64_t>(u64()); }
  double f64();
  // Returns a pointer into the file and skips `n` bytes.
  const uint8_t* bytes(uint64_t n);

  uint64_t position() const { return pos_; }
  uint64_t end() const { return end_; }
  uint64_t remaining() const { return end_ - pos_; }

 private:
  const uint8_t* file_;
  uint64_t pos_;
  uint64_t end_;
  std::string limitText_;
  std::string item_ = "plan";
};

}  // namespace kiln
