// Half-precision storage formats. kiln keeps f16 and bf16 tensors as raw Uint16Array
// bit patterns; these helpers convert them to and from f32 with round-to-nearest-even,
// working on the f32 bit pattern so the result is exactly what an f32 -> f16 store on
// a GPU produces. The precision tooling uses roundToF16/roundToBF16 to simulate
// reduced-precision layers without leaving JavaScript numbers.

// One shared scratch word: reinterpreting through it is the only way JS exposes bits.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function f32Bits(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

/** Rounds `>> shift` of `v` to nearest, ties to even (shift >= 1). */
function shiftRoundEven(v: number, shift: number): number {
  const kept = Math.floor(v / 2 ** shift);
  const rem = v - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rem > half || (rem === half && kept % 2 === 1) ? kept + 1 : kept;
}

/** The f16 bit pattern nearest to `x` (first rounded to f32), ties to even. */
export function f32ToF16Bits(x: number): number {
  const b = f32Bits(x);
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  // NaN keeps a quiet payload bit so it cannot collapse into infinity.
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // f16 subnormal: in units of 2^-24 the value is (0x800000 | mant) * 2^(e-14), below
    // 2^24 * 2^-shift; past a shift of 24 that is under half a unit and rounds to zero.
    const shift = 14 - e;
    if (shift > 24) return sign;
    return sign | shiftRoundEven(0x800000 | mant, shift);
  }
  // A mantissa that rounds up carries into the exponent, and from 30 into infinity.
  return sign | ((e << 10) + shiftRoundEven(mant, 13));
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant !== 0 ? NaN : sign * Infinity;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** The bf16 bit pattern nearest to `x` (first rounded to f32), ties to even. */
export function f32ToBF16Bits(x: number): number {
  const b = f32Bits(x);
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) return (b >>> 16) | 0x40;
  // Adding 0x7fff plus the lowest kept bit rounds the dropped half-word to even.
  return Math.floor((b + 0x7fff + ((b >>> 16) & 1)) / 0x10000) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** `x` rounded to the nearest f16 value, returned as a number. */
export function roundToF16(x: number): number {
  return f16BitsToF32(f32ToF16Bits(x));
}

/** `x` rounded to the nearest bf16 value, returned as a number. */
export function roundToBF16(x: number): number {
  return bf16BitsToF32(f32ToBF16Bits(x));
}
