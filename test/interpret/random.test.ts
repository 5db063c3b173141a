// The seeded PRNG and random tensors: reproducible by seed, in range, right storage.
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt, randomTensor, tensorValues } from '../../src/interpret/index.js';

describe('mulberry32', () => {
  it('is reproducible by seed and differs across seeds', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const c = mulberry32(2);
    const sa = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(sa);
    expect(Array.from({ length: 5 }, c)).not.toEqual(sa);
  });
  it('is uniform on [0, 1)', () => {
    const rng = mulberry32(123);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const v = rng();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
    }
    expect(sum / 20000).toBeCloseTo(0.5, 1);
  });
  it('randomInt covers both ends', () => {
    const rng = mulberry32(5);
    const seen = new Set(Array.from({ length: 200 }, () => randomInt(rng, -2, 2)));
    expect([...seen].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2]);
  });
});

describe('randomTensor', () => {
  it('floats fall in [min, max) and are stored in the dtype', () => {
    const t = randomTensor('f32', [4, 5], mulberry32(9), { min: 2, max: 3 });
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(tensorValues(t).every((v) => v >= 2 && v <= 3)).toBe(true);
    const h = randomTensor('f16', [8], mulberry32(9));
    expect(h.data).toBeInstanceOf(Uint16Array);
    expect(tensorValues(h).every((v) => v >= -1 && v <= 1)).toBe(true);
  });
  it('integers are whole and inclusive of both bounds', () => {
    const t = randomTensor('i32', [500], mulberry32(3), { min: 0, max: 3 });
    expect(t.data).toBeInstanceOf(Int32Array);
    expect(new Set(tensorValues(t))).toEqual(new Set([0, 1, 2, 3]));
    const l = randomTensor('i64', [3], mulberry32(3));
    expect(l.data).toBeInstanceOf(BigInt64Array);
    const b = randomTensor('bool', [100], mulberry32(3));
    expect(new Set(tensorValues(b))).toEqual(new Set([0, 1]));
  });
  it('the same seed gives the same tensor', () => {
    expect(randomTensor('f32', [6], mulberry32(77)).data).toEqual(randomTensor('f32', [6], mulberry32(77)).data);
  });
});
