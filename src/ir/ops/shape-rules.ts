// Shape rules shared by several ops: numpy broadcasting with symbolic dims, and the
// per-spatial-dim attribute lists of convolution and pooling.
import type { Dim, Shape } from '../shape.js';
import { formatShape } from '../shape.js';
import { dimAdd, dimFloorDiv, dimSub, dimsEqual } from '../dim-expr.js';
import type { InferContext } from '../op-registry.js';

export type Need = InferContext['need'];

/**
 * Numpy broadcasting, right-aligned. Equal dims (canonically) stay; 1 broadcasts.
 * Two dims not known to be equal, neither 1 (`seq` vs 4, `seq` vs `len`), are taken
 * to be equal: the result keeps the number or the shorter text, and `need` records
 * the equality so a profile that sizes them apart is refused (a dim of size 1 at
 * run time does not broadcast there). Provably different dims are an error.
 */
export function broadcastShapes(a: Shape, b: Shape, need?: Need): Dim[] | string {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    const eq = dimsEqual(da, db);
    if (eq === true || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else if (eq === undefined) {
      need?.('eq', da, db, `${da} == ${db} to broadcast ${formatShape(a)} with ${formatShape(b)}`);
      out.push(pickDim(da, db));
    } else return `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (dim ${i}: ${da} vs ${db})`;
  }
  return out;
}

/** Of two dims taken equal, the number, else the shorter (then smaller) text: symmetric. */
function pickDim(a: Dim, b: Dim): Dim {
  if (typeof a === 'number' || typeof b === 'number') return typeof a === 'number' ? a : b;
  return a.length !== b.length ? (a.length < b.length ? a : b) : a < b ? a : b;
}

/**
 * Output extent of a sliding window over a symbolic dim:
 * floor((input + pb + pe - span) / stride) + 1, needing input + pb + pe >= span.
 */
export function windowOutDim(input: Dim, k: number, stride: number, pb: number, pe: number, dil: number, need: Need): Dim {
  const span = dil * (k - 1) + 1;
  const padded = dimAdd(input, pb + pe);
  need('ge', padded, span, `${padded} >= ${span} (window ${k}, dilation ${dil})`);
  return dimAdd(dimFloorDiv(dimSub(padded, span), stride), 1);
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
