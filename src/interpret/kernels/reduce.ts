// Reduction kernels: Reduce (every ONNX ReduceXxx as a mode), ArgMax/ArgMin, TopK and
// CumSum. Plain and direct: each output element gathers the input elements it reduces,
// then one function per mode folds them. Floats compute in f64 and round once; i32 and
// i64 compute exactly in BigInt and wrap like two's-complement hardware; bool max/min
// are any/all. Reducing an empty set gives the mode's identity (ONNX's reduce_constant).
import { allocate, normalizeAxis, reduceAxes, stridesOf, type DType, type ReduceMode } from '../../ir/index.js';
import { product } from '../indexing.js';
import { defineKernel, floatOutput, type KernelDef } from '../kernel.js';
import { isFloatDType, readFloats, type Tensor } from '../tensor.js';

const INT_BITS: Partial<Record<DType, number>> = { i32: 32, i64: 64 };

/** The input elements (as f64 or BigInt) each output element of a reduction reads. */
function gather<T>(shape: readonly number[], axes: readonly number[], values: ArrayLike<T>): T[][] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = stridesOf(outShape);
  const groups: T[][] = Array.from({ length: product(outShape) }, () => []);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    let o = 0;
    for (let d = 0; d < rank; d++) if (!axes.includes(d)) o += idx[d]! * outStrides[d]!;
    groups[o]!.push(values[flat]!);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return groups;
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

const FLOAT_MODES: Record<ReduceMode, (v: number[]) => number> = {
  sum,
  mean: (v) => sum(v) / v.length,
  max: (v) => v.reduce((a, b) => Math.max(a, b), -Infinity),
  min: (v) => v.reduce((a, b) => Math.min(a, b), Infinity),
  prod: (v) => v.reduce((a, b) => a * b, 1),
  l1: (v) => sum(v.map(Math.abs)),
  l2: (v) => Math.sqrt(sum(v.map((x) => x * x))),
  logSum: (v) => Math.log(sum(v)),
  // Shifting by a finite max keeps exp from overflowing; an infinite max shifts by 0.
  logSumExp: (v) => {
    const m = v.reduce((a, b) => Math.max(a, b), -Infinity);
    const shift = Number.isFinite(m) ? m : 0;
    return Math.log(sum(v.map((x) => Math.exp(x - shift)))) + shift;
  },
  sumSquare: (v) => sum(v.map((x) => x * x)),
};

function intMode(mode: ReduceMode, bits: number): (v: bigint[]) => bigint {
  const lo = -(1n << BigInt(bits - 1));
  const hi = (1n << BigInt(bits - 1)) - 1n;
  switch (mode) {
    case 'sum': return (v) => BigInt.asIntN(bits, v.reduce((a, b) => a + b, 0n));
    case 'prod': return (v) => BigInt.asIntN(bits, v.reduce((a, b) => a * b, 1n));
    case 'max': return (v) => v.reduce((a, b) => (b > a ? b : a), lo);
    case 'min': return (v) => v.reduce((a, b) => (b < a ? b : a), hi);
    default: throw new Error(`integer Reduce mode '${mode}' is refused by inference`);
  }
}

/** A tensor of `dtype` from BigInt values (i32/i64/bool). */
function intTensor(dtype: DType, shape: number[], values: bigint[]): Tensor {
  const data = allocate(dtype, values.length);
  values.forEach((v, i) => (data[i] = dtype === 'i64' ? v : Number(v)));
  return { dtype, shape: [...shape], data };
}

/** Any tensor's elements as BigInt (integers and bool). */
const bigints = (t: Tensor): bigint[] => Array.from(t.data as ArrayLike<number | bigint>, (v) => BigInt(v));

const reduce = defineKernel('Reduce', (ctx) => {
  const x = ctx.inputs[0]!;
  const mode = ctx.attrs.mode as ReduceMode;
  const axes = reduceAxes(ctx.attrs.axes as number[], x.shape.length, ctx.attrs.noopWithEmptyAxes as boolean) as number[];
  const out = ctx.outputs[0]!;
  if (isFloatDType(x.dtype)) return [floatOutput(ctx, gather(x.shape, axes, readFloats(x)).map(FLOAT_MODES[mode]))];
  if (x.dtype === 'bool') {
    const any = mode === 'max';
    const groups = gather(x.shape, axes, bigints(x));
    return [intTensor('bool', out.shape, groups.map((g) => (any ? g.some((b) => b !== 0n) : g.every((b) => b !== 0n)) ? 1n : 0n))];
  }
  return [intTensor(x.dtype, out.shape, gather(x.shape, axes, bigints(x)).map(intMode(mode, INT_BITS[x.dtype]!)))];
});

type Key = number | bigint;
const isNaN = (k: Key) => typeof k === 'number' && Number.isNaN(k);
/** -1, 0, 1 for a below, equal to, above b, with NaN above every number (TopK's order). */
const compareKeys = (a: Key, b: Key) => (isNaN(a) || isNaN(b) ? Number(isNaN(a)) - Number(isNaN(b)) : a < b ? -1 : a > b ? 1 : 0);

/** Comparable keys of any numeric tensor: f64 for floats (f16 bits decoded), BigInt for integers. */
function keysOf(t: Tensor): number[] | bigint[] {
  return isFloatDType(t.dtype) ? Array.from(readFloats(t)) : bigints(t);
}

/** [outer, len, inner] around `axis`: the slice through (o, i) has its elements `inner` apart. */
function axisView(shape: readonly number[], axis: number) {
  return { outer: product(shape, 0, axis), len: shape[axis]!, inner: product(shape, axis + 1) };
}

function argReduce(op: 'ArgMax' | 'ArgMin'): KernelDef {
  return defineKernel(op, (ctx) => {
    const x = ctx.inputs[0]!;
    const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
    const { outer, len, inner } = axisView(x.shape, axis);
    const keys = keysOf(x);
    const last = ctx.attrs.selectLastIndex as boolean;
    // NaN is the extreme either way (numpy's argmax/argmin); among equals the first wins, or the last.
    const beats = op === 'ArgMax' ? (a: Key, b: Key) => a > b : (a: Key, b: Key) => a < b;
    const take = (v: Key, b: Key) => (isNaN(v) ? last || !isNaN(b) : !isNaN(b) && (beats(v, b) || (last && v === b)));
    const data = new BigInt64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let best = 0;
        for (let k = 1; k < len; k++) {
          const v = keys[(o * len + k) * inner + i]!;
          const b = keys[(o * len + best) * inner + i]!;
          if (take(v, b)) best = k;
        }
        data[o * inner + i] = BigInt(best);
      }
    }
    return [{ dtype: 'i64', shape: [...ctx.outputs[0]!.shape], data }];
  });
}

// Ties keep the lower index first (ONNX) and NaN ranks above every number; sorted =
// false may return any order, and the sorted one is a valid choice that keeps tests
// deterministic.
const topK = defineKernel('TopK', (ctx) => {
  const x = ctx.inputs[0]!;
  const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
  const k = ctx.attrs.k as number;
  const { outer, len, inner } = axisView(x.shape, axis);
  const keys = keysOf(x);
  const sign = ctx.attrs.largest ? -1 : 1;
  const values = allocate(x.dtype, outer * k * inner);
  const indices = new BigInt64Array(outer * k * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * len + j) * inner + i;
      const order = Array.from({ length: len }, (_, j) => j).sort((p, q) => compareKeys(keys[at(p)]!, keys[at(q)]!) * sign || p - q);
      for (let j = 0; j < k; j++) {
        values[(o * k + j) * inner + i] = x.data[at(order[j]!)]! as never;
        indices[(o * k + j) * inner + i] = BigInt(order[j]!);
      }
    }
  }
  const shape = [...ctx.outputs[0]!.shape];
  return [{ dtype: x.dtype, shape, data: values }, { dtype: 'i64', shape: [...shape], data: indices }];
});

const cumSum = defineKernel('CumSum', (ctx) => {
  const x = ctx.inputs[0]!;
  const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
  const { outer, len, inner } = axisView(x.shape, axis);
  const { exclusive, reverse } = ctx.attrs as { exclusive: boolean; reverse: boolean };
  const float = isFloatDType(x.dtype);
  const keys = keysOf(x);
  const out: (number | bigint)[] = new Array(keys.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let acc: number | bigint = float ? 0 : 0n;
      for (let s = 0; s < len; s++) {
        const at = (o * len + (reverse ? len - 1 - s : s)) * inner + i;
        const v = keys[at]!;
        if (!exclusive) acc = float ? (acc as number) + (v as number) : (acc as bigint) + (v as bigint);
        out[at] = acc;
        if (exclusive) acc = float ? (acc as number) + (v as number) : (acc as bigint) + (v as bigint);
      }
    }
  }
  if (float) return [floatOutput(ctx, out as number[])];
  const bits = INT_BITS[x.dtype]!;
  return [intTensor(x.dtype, x.shape, (out as bigint[]).map((v) => BigInt.asIntN(bits, v)))];
});

export const reduceKernels: readonly KernelDef[] = [reduce, argReduce('ArgMax'), argReduce('ArgMin'), topK, cumSum];
