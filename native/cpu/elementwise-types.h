// Element types for the elementwise kernels: f16/bf16 conversions with
// round-to-nearest-even (bit for bit what src/interpret/float16.ts computes),
// integer arithmetic that wraps instead of overflowing (signed overflow is
// undefined in C++; ONNX and the interpreter wrap), and a dispatch from a plan
// dtype to the C++ type that stores it.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "../dtype.h"

namespace kiln::cpu {

inline uint32_t floatBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

inline float bitsFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// `v >> shift` rounded to nearest, ties to even (1 <= shift <= 24).
inline uint32_t shiftRoundEven(uint32_t v, uint32_t shift) {
  uint32_t kept = v >> shift;
  const uint32_t rem = v & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (kept & 1))) ++kept;
  return kept;
}

inline uint16_t f32ToF16(float f) {
  const uint32_t b = floatBits(f);
  const uint32_t sign = (b >> 16) & 0x8000, exp = (b >> 23) & 0xff, mant = b & 0x7fffff;
  // NaN keeps a quiet payload bit so it cannot collapse into infinity.
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00);
  if (e <= 0) {
    const int shift = 14 - e;  // f16 subnormal, in units of 2^-24
    if (shift > 24) return static_cast<uint16_t>(sign);
    return static_cast<uint16_t>(sign | shiftRoundEven(0x800000 | mant, static_cast<uint32_t>(shift)));
  }
  // A mantissa that rounds up carries into the exponent, and from 30 into infinity.
  return static_cast<uint16_t>(sign | ((static_cast<uint32_t>(e) << 10) + shiftRoundEven(mant, 13)));
}

inline float f16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) {
    const float v = static_cast<float>(mant) * 5.9604644775390625e-8f;  // mant * 2^-24, exact
    return sign ? -v : v;
  }
  if (exp == 0x1f) return bitsFloat(sign | 0x7f800000 | (mant << 13));
  return bitsFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

inline uint16_t f32ToBF16(float f) {
  const uint32_t b = floatBits(f);
  if ((b & 0x7f800000) == 0x7f800000 && (b & 0x7fffff)) return static_cast<uint16_t>((b >> 16) | 0x40);
  // Adding 0x7fff plus the lowest kept bit rounds the dropped half-word to even.
  return static_cast<uint16_t>((b + 0x7fff + ((b >> 16) & 1)) >> 16);
}

inline float bf16ToF32(uint16_t h) { return bitsFloat(static_cast<uint32_t>(h) << 16); }

// Two's complement wrap-around for any integer type, computed unsigned.
template <typename T>
using Unsigned = std::make_unsigned_t<T>;

template <typename T>
inline T wrapNeg(T x) { return static_cast<T>(Unsigned<T>(0) - static_cast<Unsigned<T>>(x)); }
template <typename T>
inline T wrapAdd(T a, T b) { return static_cast<T>(static_cast<Unsigned<T>>(a) + static_cast<Unsigned<T>>(b)); }
template <typename T>
inline T wrapSub(T a, T b) { return static_cast<T>(static_cast<Unsigned<T>>(a) - static_cast<Unsigned<T>>(b)); }
template <typename T>
inline T wrapMul(T a, T b) {
  // uint8 operands promote to int, whose product can overflow; multiply as unsigned int at least.
  using W = std::conditional_t<(sizeof(T) < sizeof(unsigned)), unsigned, Unsigned<T>>;
  return static_cast<T>(static_cast<W>(static_cast<Unsigned<T>>(a)) * static_cast<W>(static_cast<Unsigned<T>>(b)));
}

// Calls fn(T{}) with the storage type of a numeric dtype (bool as uint8_t);
// returns false for f16/bf16, which have no arithmetic storage type here.
template <typename Fn>
bool visitNumeric(DType t, Fn&& fn) {
  switch (t) {
    case DType::f32: fn(float{}); return true;
    case DType::i8: fn(int8_t{}); return true;
    case DType::u8: fn(uint8_t{}); return true;
    case DType::i32: fn(int32_t{}); return true;
    case DType::i64: fn(int64_t{}); return true;
    case DType::boolean: fn(uint8_t{}); return true;
    case DType::f16:
    case DType::bf16: return false;
  }
  return false;
}

}  // namespace kiln::cpu
