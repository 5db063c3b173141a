// Small-tensor arithmetic on known values, element lists that may hold symbolic dims.
// These are the shape ops evaluated at import: broadcasting binaries, Gather, Slice,
// Concat, Where, Expand, Transpose. Shapes here are always static (a known value's
// shape is), only the elements may be symbolic.
import { stridesOf, type Dim } from '../../ir/index.js';

export interface Elems {
  shape: number[];
  elems: Dim[];
}

function volume(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Numpy broadcast of static shapes; undefined when they do not broadcast. */
export function broadcastStatic(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return undefined;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The flat index into `shape` (right-aligned in `out`) for each flat index of `out`. */
function broadcastIndex(shape: readonly number[], out: readonly number[]): number[] {
  const strides = stridesOf(shape as number[]);
  const offset = out.length - shape.length;
  const n = volume(out);
  const idx = new Array<number>(n);
  const outStrides = stridesOf(out as number[]);
  for (let f = 0; f < n; f++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(f / outStrides[d + offset]!) % out[d + offset]!;
      src += (shape[d] === 1 ? 0 : coord) * strides[d]!;
    }
    idx[f] = src;
  }
  return idx;
}

/** Elementwise op over broadcast inputs; undefined when any element is unknowable. */
export function mapBroadcast(inputs: readonly Elems[], fn: (...xs: Dim[]) => Dim | undefined): Elems | undefined {
  let shape: number[] | undefined = [];
  for (const t of inputs) shape = shape && broadcastStatic(shape, t.shape);
  if (!shape) return undefined;
  const maps = inputs.map((t) => broadcastIndex(t.shape, shape!));
  const elems: Dim[] = [];
  for (let f = 0; f < volume(shape); f++) {
    const v = fn(...inputs.map((t, k) => t.elems[maps[k]![f]!]!));
    if (v === undefined) return undefined;
    elems.push(v);
  }
  return { shape, elems };
}

/** ONNX Gather along `axis` (normalized) with possibly negative indices; undefined when out of range. */
export function gatherElems(data: Elems, indices: { shape: number[]; values: number[] }, axis: number): Elems | undefined {
  const outer = volume(data.shape.slice(0, axis));
  const n = data.shape[axis]!;
  const inner = volume(data.shape.slice(axis + 1));
  const elems: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of indices.values) {
      const i = raw < 0 ? raw + n : raw;
      if (!(i >= 0 && i < n)) return undefined;
      for (let k = 0; k < inner; k++) elems.push(data.elems[(o * n + i) * inner + k]!);
    }
  }
  return { shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)], elems };
}

/** Resolved start, count and step of ONNX Slice on one axis of extent n. */
export function sliceRange(n: number, start: number, end: number, step: number): { start: number; count: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  if (step > 0) {
    s = clamp(s, 0, n);
    e = clamp(e, 0, n);
    return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = clamp(s, -1, n - 1);
  e = clamp(e, -1, n - 1);
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

/** Slice with one (start, count, step) per axis (all axes given). */
export function sliceElems(data: Elems, ranges: readonly { start: number; count: number; step: number }[]): Elems {
  const shape = ranges.map((r) => r.count);
  const strides = stridesOf(data.shape);
  const elems: Dim[] = [];
  const n = volume(shape);
  const outStrides = stridesOf(shape);
  for (let f = 0; f < n; f++) {
    let src = 0;
    ranges.forEach((r, d) => {
      const c = Math.floor(f / outStrides[d]!) % shape[d]!;
      src += (r.start + c * r.step) * strides[d]!;
    });
    elems.push(data.elems[src]!);
  }
  return { shape, elems };
}

export function concatElems(parts: readonly Elems[], axis: number): Elems {
  const first = parts[0]!;
  const outer = volume(first.shape.slice(0, axis));
  const elems: Dim[] = [];
  for (let o = 0; o < outer; o++) {
    for (const p of parts) {
      const chunk = volume(p.shape.slice(axis));
      elems.push(...p.elems.slice(o * chunk, (o + 1) * chunk));
    }
  }
  const total = parts.reduce((a, p) => a + p.shape[axis]!, 0);
  return { shape: first.shape.map((d, i) => (i === axis ? total : d)), elems };
}

export function transposeElems(data: Elems, perm: readonly number[]): Elems {
  const shape = perm.map((p) => data.shape[p]!);
  const inStrides = stridesOf(data.shape);
  const outStrides = stridesOf(shape);
  const elems: Dim[] = new Array(data.elems.length);
  for (let f = 0; f < elems.length; f++) {
    let src = 0;
    perm.forEach((p, d) => (src += (Math.floor(f / outStrides[d]!) % shape[d]!) * inStrides[p]!));
    elems[f] = data.elems[src]!;
  }
  return { shape, elems };
}
