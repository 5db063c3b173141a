// Ops that make a tensor from attributes or from another tensor's shape alone: Range,
// ConstantOfShape and Shape. With static shapes they are constants (constant folding
// removes them); they still have kernels so an unfolded graph runs.
import { DTYPES, DTYPE_INFO } from '../dtype.js';
import { defineOp } from '../op-registry.js';
import type { Dim, Shape } from '../shape.js';

export const RANGE_DTYPES = ['f32', 'f16', 'bf16', 'i32', 'i64'] as const;

/** Element count of Range: max(ceil((limit - start) / delta), 0). */
export function rangeCount(start: number, limit: number, delta: number): number {
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

/** Shape's [start, end) over a rank: negatives count from the back, both clamped to [0, rank]. */
export function shapeBounds(rank: number, start: number, end: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const s = clamp(start);
  return [s, Math.max(s, clamp(end))];
}

defineOp({
  name: 'Range',
  group: 'movement',
  inputs: [],
  attrs: {
    start: { kind: 'float' },
    limit: { kind: 'float' },
    delta: { kind: 'float' },
    dtype: { kind: 'string', default: 'f32', oneOf: RANGE_DTYPES },
  },
  infer: ({ attrs, fail }) => {
    const [start, limit, delta] = [attrs.start as number, attrs.limit as number, attrs.delta as number];
    const dtype = attrs.dtype as (typeof RANGE_DTYPES)[number];
    if (delta === 0 || !Number.isFinite(start) || !Number.isFinite(limit) || !Number.isFinite(delta)) {
      fail(`start ${start}, limit ${limit} and delta ${delta} must be finite with delta != 0`, { argument: 'delta', received: String(delta) });
    }
    if (!DTYPE_INFO[dtype].float && ![start, limit, delta].every(Number.isInteger)) {
      fail(`a ${dtype} range needs integer start, limit and delta, got ${start}, ${limit}, ${delta}`, { argument: 'start' });
    }
    return [{ dtype, shape: [rangeCount(start, limit, delta)] }];
  },
});

defineOp({
  name: 'ConstantOfShape',
  group: 'movement',
  inputs: [],
  attrs: {
    shape: { kind: 'dims' },
    value: { kind: 'float', default: 0 },
    dtype: { kind: 'string', default: 'f32', oneOf: DTYPES },
  },
  infer: ({ attrs, fail }) => {
    const shape = attrs.shape as Dim[];
    if (shape.some((d) => typeof d === 'number' && d < 0)) fail(`shape [${shape}] has a negative dim`, { argument: 'shape', received: `[${shape}]` });
    return [{ dtype: attrs.dtype as (typeof DTYPES)[number], shape }];
  },
});

defineOp({
  name: 'Shape',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { start: { kind: 'int', default: 0 }, end: { kind: 'int', default: Number.MAX_SAFE_INTEGER } },
  infer: ({ inputs, attrs }) => {
    const x = inputs[0]!;
    const [s, e] = shapeBounds(x.shape.length, attrs.start as number, attrs.end as number);
    return [{ dtype: 'i64', shape: [e - s] }];
  },
});

/** The values Shape produces for a static input shape; undefined when a dim in range is symbolic. */
export function shapeValues(shape: Shape, start: number, end: number): number[] | undefined {
  const [s, e] = shapeBounds(shape.length, start, end);
  const dims = shape.slice(s, e);
  return dims.every((d) => typeof d === 'number') ? (dims as number[]) : undefined;
}
