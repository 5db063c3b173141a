// Shapes with symbolic dimensions. A dim is a non-negative integer or the canonical
// text of an expression over names (`batch`, `batch*seq`, `floor((h-1)/2)+1`; see
// dim-expr.ts) that an optimization profile resolves later. Shapes print one way
// everywhere: `f32[batch,1,28,28]`.
import type { DType } from './dtype.js';
import { substituteDim } from './dim-expr.js';

export type Dim = number | string;
export type Shape = readonly Dim[];

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

export function isStaticShape(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

/** Element count of a static shape; undefined when any dim is symbolic. */
export function volume(shape: Shape): number | undefined {
  let v = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    v *= d;
  }
  return v;
}

export function staticVolume(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function typesEqual(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

/** Normalizes a possibly negative axis against a rank, or returns undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}

/**
 * Substitutes symbolic dims from a binding such as { batch: 8 }: an expression whose
 * symbols are all bound becomes its number, the rest stays symbolic, simplified.
 */
export function resolveShape(shape: Shape, dims: Readonly<Record<string, number>>): Dim[] {
  return shape.map((d) => (typeof d === 'string' ? substituteDim(d, dims) : d));
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}
