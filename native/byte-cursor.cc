// See byte-cursor.h. Values are assembled byte by byte so the reader is
// correct on any host byte order and never does an unaligned load.
#include "byte-cursor.h"

#include <cstring>
#include <utility>

#include "error.h"
#include "text.h"

namespace kiln {

ByteCursor::ByteCursor(const uint8_t* file, uint64_t begin, uint64_t end, std::string limitText)
    : file_(file), pos_(begin), end_(end), limitText_(std::move(limitText)) {}

void ByteCursor::need(uint64_t n) const {
  if (n <= end_ - pos_) return;
  throw Error(codes::kPlanCorrupt,
              cat("plan is truncated: ", item_, " needs ", n, " bytes at offset ", pos_, ", ", limitText_));
}

void ByteCursor::needItems(uint64_t count, uint64_t each) const {
  // Division instead of count * each: the product of a corrupted count can overflow.
  if (each == 0 || count <= (end_ - pos_) / each) return;
  throw Error(codes::kPlanCorrupt, cat("plan is truncated: ", item_, " claims ", count, " entries of at least ", each,
                                       " bytes at offset ", pos_, ", ", limitText_));
}

uint32_t ByteCursor::u32() {
  need(4);
  const uint8_t* p = file_ + pos_;
  pos_ += 4;
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint64_t ByteCursor::u64() {
  need(8);
  const uint8_t* p = file_ + pos_;
  pos_ += 8;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

double ByteCursor::f64() {
  uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

const uint8_t* ByteCursor::bytes(uint64_t n) {
  need(n);
  const uint8_t* p = file_ + pos_;
  pos_ += n;
  return p;
}

}  // namespace kiln
