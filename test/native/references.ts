// Straightforward JS reference implementations of the kernels, written for
// clarity, not speed: the native results are checked against these.
import { numel, strides, unravel } from './plan-fixtures.js';

export type Act = { code: number; alpha: number; beta: number };

/** erf via a Chebyshev fit of erfc (fractional error < 1.2e-7): JS has no Math.erf. */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
        t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

export function activate(v: number, a: Act): number {
  switch (a.code) {
    case 0: return v;
    case 1: return Math.max(v, 0);
    case 2: return 1 / (1 + Math.exp(-v));
    case 3: return Math.tanh(v);
    case 4: return v >= 0 ? v : v * a.alpha;
    case 5: return Math.min(Math.max(v, a.alpha), a.beta);
    case 6: return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 7: return v / (1 + Math.exp(-v));
    case 8: return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
  }
  throw new Error(`activation ${a.code}`);
}

export function broadcastShape(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[i - (r - a.length)] ?? 1, db = b[i - (r - b.length)] ?? 1;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Offset in `shape` of output coordinates `coord` under broadcasting. */
export function broadcastIndex(coord: number[], shape: number[]): number {
  const s = strides(shape);
  let off = 0;
  for (let i = 0; i < shape.length; i++) {
    const c = coord[i + coord.length - shape.length]!;
    off += (shape[i] === 1 ? 0 : c) * s[i]!;
  }
  return off;
}

export function binary(op: number, a: Float32Array, as: number[], b: Float32Array, bs: number[]) {
  const os = broadcastShape(as, bs);
  const out = new Float32Array(numel(os));
  const f = [(x: number, y: number) => x + y, (x: number, y: number) => x - y, (x: number, y: number) => x * y,
    (x: number, y: number) => x / y, Math.max, Math.min, Math.pow][op]!;
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, os);
    out[i] = f(a[broadcastIndex(c, as)]!, b[broadcastIndex(c, bs)]!);
  }
  return { out, shape: os };
}

/** Batched matmul with broadcast batch dims, optional transposes, bias, activation. */
export function matmul(a: Float32Array, as: number[], b: Float32Array, bs: number[], transA: boolean, transB: boolean,
  bias: Float32Array | null, act: Act) {
  const ra = as.length, rb = bs.length;
  const M = transA ? as[ra - 1]! : as[ra - 2]!, K = transA ? as[ra - 2]! : as[ra - 1]!;
  const N = transB ? bs[rb - 2]! : bs[rb - 1]!;
  const batch = broadcastShape(as.slice(0, -2), bs.slice(0, -2));
  const out = new Float32Array(numel(batch) * M * N);
  for (let bi = 0; bi < numel(batch); bi++) {
    const c = unravel(bi, batch);
    const ao = broadcastIndex(c, as.slice(0, -2)) * M * K, bo = broadcastIndex(c, bs.slice(0, -2)) * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = transA ? a[ao + k * M + i]! : a[ao + i * K + k]!;
          const bv = transB ? b[bo + j * K + k]! : b[bo + k * N + j]!;
          s += av * bv;
        }
        if (bias) s += bias[j]!;
        out[bi * M * N + i * N + j] = activate(s, act);
      }
  }
  return { out, shape: [...batch, M, N] };
}

export interface ConvParams {
  groups: number;
  strides: number[];
  padsBegin: number[];
  padsEnd: number[];
  dilations: number[];
}

export function conv(x: Float32Array, xs: number[], w: Float32Array, ws: number[], bias: Float32Array | null,
  p: ConvParams, act: Act) {
  const n = xs.length - 2;
  const N = xs[0]!, C = xs[1]!;
  const Cout = ws[0]!, cg = C / p.groups, og = Cout / p.groups;
  const ins = xs.slice(2), ks = ws.slice(2);
  const outs = ins.map((d, i) => Math.floor((d + p.padsBegin[i]! + p.padsEnd[i]! - p.dilations[i]! * (ks[i]! - 1) - 1) / p.strides[i]!) + 1);
  const ys = [N, Cout, ...outs];
  const y = new Float32Array(numel(ys));
  const xStr = strides(xs), wStr = strides(ws);
  const taps = numel(ks);
  for (let yi = 0; yi < y.length; yi++) {
    const [b, co, ...o] = unravel(yi, ys) as [number, number, ...number[]];
    const g = Math.floor(co / og);
    let s = bias ? bias[co]! : 0;
    for (let ci = 0; ci < cg; ci++)
      for (let t = 0; t < taps; t++) {
        const k = unravel(t, ks);
        let off = b * xStr[0]! + (g * cg + ci) * xStr[1]!;
        let inside = true;
        for (let d = 0; d < n; d++) {
          const pos = o[d]! * p.strides[d]! - p.padsBegin[d]! + k[d]! * p.dilations[d]!;
          if (pos < 0 || pos >= ins[d]!) inside = false;
          off += pos * xStr[2 + d]!;
        }
        if (!inside) continue;
        let wo = co * wStr[0]! + ci * wStr[1]!;
        for (let d = 0; d < n; d++) wo += k[d]! * wStr[2 + d]!;
        s += x[off]! * w[wo]!;
      }
    y[yi] = activate(s, act);
  }
  return { y, shape: ys };
}

export function pool(x: Float32Array, xs: number[], isMax: boolean, includePad: boolean, kernel: number[],
  strd: number[], padsBegin: number[], padsEnd: number[]) {
  const n = xs.length - 2;
  const ins = xs.slice(2);
  const outs = ins.map((d, i) => Math.floor((d + padsBegin[i]! + padsEnd[i]! - kernel[i]!) / strd[i]!) + 1);
  const ys = [xs[0]!, xs[1]!, ...outs];
  const y = new Float32Array(numel(ys));
  const xStr = strides(xs);
  for (let yi = 0; yi < y.length; yi++) {
    const [b, c, ...o] = unravel(yi, ys) as [number, number, ...number[]];
    let acc = isMax ? -Infinity : 0, count = 0;
    for (let t = 0; t < numel(kernel); t++) {
      const k = unravel(t, kernel);
      let off = b * xStr[0]! + c * xStr[1]!, inside = true;
      for (let d = 0; d < n; d++) {
        const pos = o[d]! * strd[d]! - padsBegin[d]! + k[d]!;
        if (pos < 0 || pos >= ins[d]!) inside = false;
        off += pos * xStr[2 + d]!;
      }
      if (!inside) continue;
      count++;
      acc = isMax ? Math.max(acc, x[off]!) : acc + x[off]!;
    }
    y[yi] = isMax ? acc : acc / (includePad ? numel(kernel) : count);
  }
  return { y, shape: ys };
}

export function softmax(x: Float32Array, shape: number[], axis: number) {
  const y = new Float32Array(x.length);
  const outer = numel(shape.slice(0, axis)), len = shape[axis]!, inner = numel(shape.slice(axis + 1));
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (a: number) => (o * len + a) * inner + i;
      let m = -Infinity;
      for (let a = 0; a < len; a++) m = Math.max(m, x[at(a)]!);
      let s = 0;
      for (let a = 0; a < len; a++) s += Math.exp(x[at(a)]! - m);
      for (let a = 0; a < len; a++) y[at(a)] = Math.exp(x[at(a)]! - m) / s;
    }
  return y;
}

export function transpose<T extends { length: number; [i: number]: any }>(x: T, shape: number[], perm: number[], make: (n: number) => T) {
  const ys = perm.map((p) => shape[p]!);
  const y = make(x.length);
  const xStr = strides(shape);
  for (let i = 0; i < x.length; i++) {
    const c = unravel(i, ys);
    let off = 0;
    for (let d = 0; d < c.length; d++) off += c[d]! * xStr[perm[d]!]!;
    y[i] = x[off];
  }
  return { y, shape: ys };
}
