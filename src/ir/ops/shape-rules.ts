// Shape rules shared by several ops: numpy broadcasting with symbolic dims, and the
// per-spatial-dim attribute lists of convolution and pooling.
import type { Dim, Shape } from '../shape.js';
import { formatShape } from '../shape.js';

/** Numpy broadcasting, right-aligned. A symbol meets 1 -> symbol; a symbol meets n>1 -> n. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] | string {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (typeof da === 'string' && typeof db === 'number') out.push(db);
    else if (typeof db === 'string' && typeof da === 'number') out.push(da);
    else return `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (dim ${i}: ${da} vs ${db})`;
  }
  return out;
}

/** Expands an empty list to `n` copies of `fill`; otherwise requires exactly `n` entries. */
export function spatialList(v: readonly number[], n: number, fill: number): number[] | undefined {
  if (v.length === 0) return new Array<number>(n).fill(fill);
  return v.length === n ? [...v] : undefined;
}

export interface WindowParams {
  kernel: number[];
  strides: number[];
  padsBegin: number[];
  padsEnd: number[];
  dilations: number[];
}

/** Output extent of a sliding window over one dim; NaN when the window does not fit. */
export function windowOut(input: number, k: number, stride: number, pb: number, pe: number, dil: number): number {
  const span = dil * (k - 1) + 1;
  const padded = input + pb + pe;
  if (padded < span) return NaN;
  return Math.floor((padded - span) / stride) + 1;
}
