// Seeded randomness for tests and tools: a small PRNG (the mulberry32 construction:
// a Weyl sequence scrambled by multiply-xorshift) so a failing case is reproduced by
// its seed alone, and random tensors of any dtype built from it.
import { allocate, type DType } from '../ir/index.js';
import { isFloatDType, writeFloats, type Tensor } from './tensor.js';

/** Returns uniform numbers in [0, 1). */
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [min, max], both inclusive. */
export function randomInt(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export interface RandomRange {
  min?: number;
  max?: number;
}

const DEFAULT_RANGE: Record<DType, Required<RandomRange>> = {
  f32: { min: -1, max: 1 },
  f16: { min: -1, max: 1 },
  bf16: { min: -1, max: 1 },
  i8: { min: -128, max: 127 },
  u8: { min: 0, max: 255 },
  i32: { min: -10, max: 10 },
  i64: { min: -10, max: 10 },
  bool: { min: 0, max: 1 },
};

/**
 * A tensor of uniform values: floats in [min, max) rounded to the dtype, integers in
 * [min, max] inclusive. Defaults: [-1, 1) for floats, the full range for i8/u8,
 * [-10, 10] for i32/i64 (small, so sums and products stay readable), 0/1 for bool.
 */
export function randomTensor(dtype: DType, shape: readonly number[], rng: Rng, range: RandomRange = {}): Tensor {
  const { min, max } = { ...DEFAULT_RANGE[dtype], ...range };
  const n = shape.reduce((a, b) => a * b, 1);
  if (isFloatDType(dtype)) {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = min + rng() * (max - min);
    return { dtype, shape: [...shape], data: writeFloats(dtype, values) };
  }
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = randomInt(rng, Math.ceil(min), Math.floor(max));
    data[i] = dtype === 'i64' ? BigInt(v) : v;
  }
  return { dtype, shape: [...shape], data };
}
