// f16/bf16 conversions: known bit patterns, round-to-nearest-even at ties, subnormals,
// overflow, and an exhaustive round trip over every 16-bit pattern.
import { describe, expect, it } from 'vitest';
import { bf16BitsToF32, f16BitsToF32, f32ToBF16Bits, f32ToF16Bits, roundToBF16, roundToF16 } from '../../src/interpret/index.js';

describe('f16', () => {
  it('encodes known values', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(f32ToF16Bits(-0)).toBe(0x8000);
    expect(f32ToF16Bits(2 ** -14)).toBe(0x0400);
    expect(f32ToF16Bits(2 ** -24)).toBe(0x0001);
  });

  it('decodes known patterns', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });

  it('rounds to nearest, ties to even', () => {
    expect(roundToF16(0.1)).toBe(0.0999755859375);
    expect(roundToF16(1 + 2 ** -11)).toBe(1); // tie, 1 is even
    expect(roundToF16(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // tie, rounds up to even
    expect(roundToF16(1 + 2 ** -11 + 2 ** -20)).toBe(1 + 2 ** -10); // just past the tie
    expect(roundToF16(65519)).toBe(65504);
    expect(roundToF16(65520)).toBe(Infinity); // tie between 65504 and the next (2^16): even wins
    expect(roundToF16(2 ** -25)).toBe(0); // subnormal tie to 0
    expect(roundToF16(3 * 2 ** -26)).toBe(2 ** -24);
    expect(roundToF16(3 * 2 ** -25)).toBe(2 ** -23); // 1.5 units, tie to 2
    expect(roundToF16(1e-10)).toBe(0);
    expect(roundToF16(NaN)).toBeNaN();
  });

  it('round-trips every non-NaN bit pattern', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16BitsToF32(h);
      if (Number.isNaN(v)) continue;
      if (f32ToF16Bits(v) !== h) throw new Error(`f16 0x${h.toString(16)} -> ${v} -> 0x${f32ToF16Bits(v).toString(16)}`);
    }
  });
});

describe('bf16', () => {
  it('encodes and decodes known values', () => {
    expect(f32ToBF16Bits(1)).toBe(0x3f80);
    expect(f32ToBF16Bits(-2)).toBe(0xc000);
    expect(bf16BitsToF32(0x4049)).toBe(3.140625);
    expect(bf16BitsToF32(0x7f80)).toBe(Infinity);
    expect(bf16BitsToF32(f32ToBF16Bits(NaN))).toBeNaN();
  });

  it('rounds to nearest, ties to even', () => {
    expect(roundToBF16(Math.PI)).toBe(3.140625);
    expect(roundToBF16(1 + 2 ** -8)).toBe(1);
    expect(roundToBF16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(roundToBF16(3.39e38)).toBe(3.3895313892515355e38); // the largest finite bf16
    expect(roundToBF16(3.4028234e38)).toBe(Infinity);
  });

  it('round-trips every non-NaN bit pattern', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = bf16BitsToF32(h);
      if (Number.isNaN(v)) continue;
      if (f32ToBF16Bits(v) !== h) throw new Error(`bf16 0x${h.toString(16)} -> ${v} -> 0x${f32ToBF16Bits(v).toString(16)}`);
    }
  });
});
