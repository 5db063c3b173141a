// One scalar parameter (a plan float, f64) stored as an element of any dtype,
// the way the interpreter casts it: floats rounded to nearest even (f16 and
// bf16 through f32), integers truncated toward zero and wrapped, bool 0 or 1.
// Used for pad values, ConstantOfShape's value and Range's elements.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../dtype.h"

namespace kiln::cpu {

inline uint32_t shiftRoundEven(uint32_t v, int shift) {
  const uint32_t kept = v >> shift, rem = v & ((1u << shift) - 1), half = 1u << (shift - 1);
  return kept + ((rem > half || (rem == half && (kept & 1))) ? 1 : 0);
}

inline uint16_t f32ToF16Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000, mant = b & 0x7fffff;
  const int32_t exp = static_cast<int32_t>((b >> 23) & 0xff);
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? (0x200 | (mant >> 13)) : 0));
  const int32_t e = exp - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00);
  if (e <= 0) {
    const int shift = 14 - e;
    if (shift > 24) return static_cast<uint16_t>(sign);
    return static_cast<uint16_t>(sign | shiftRoundEven(0x800000 | mant, shift));
  }
  // A mantissa that rounds up carries into the exponent, and from 30 into infinity.
  return static_cast<uint16_t>(sign | ((static_cast<uint32_t>(e) << 10) + shiftRoundEven(mant, 13)));
}

inline uint16_t f32ToBF16Bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if ((b & 0x7f800000) == 0x7f800000 && (b & 0x7fffff)) return static_cast<uint16_t>((b >> 16) | 0x40);
  return static_cast<uint16_t>((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

// Writes dtypeSize(t) bytes at out.
inline void encodeScalar(DType t, double v, uint8_t* out) {
  auto put = [out](auto x) { std::memcpy(out, &x, sizeof x); };
  // Saturate before the integer cast (an out-of-range cast is undefined).
  const double w = std::isnan(v) ? 0 : std::trunc(std::fmin(std::fmax(v, -9.2233720368547758e18), 9.2233720368547748e18));
  const int64_t i = static_cast<int64_t>(w);
  switch (t) {
    case DType::f32: return put(static_cast<float>(v));
    case DType::f16: return put(f32ToF16Bits(static_cast<float>(v)));
    case DType::bf16: return put(f32ToBF16Bits(static_cast<float>(v)));
    case DType::i8: return put(static_cast<int8_t>(static_cast<uint8_t>(i)));
    case DType::u8: return put(static_cast<uint8_t>(i));
    case DType::i32: return put(static_cast<int32_t>(static_cast<uint32_t>(i)));
    case DType::i64: return put(i);
    case DType::boolean: return put(static_cast<uint8_t>(v != 0 ? 1 : 0));
  }
}

}  // namespace kiln::cpu
