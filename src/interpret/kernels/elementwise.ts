// Elementwise kernels with ONNX semantics: unary math (f64, rounded once at the
// output; Neg/Abs/Sign also exact on integers, wrapping like C), PRelu, comparisons
// and logic producing bool, Where, and Cast. Broadcasting goes through explicit index
// maps, as the binary kernels do.
import { COMPARE_OPS, MATH_OPS, allocate, type Attrs, type CompareOp, type DType, type MathOp, type TypedArray } from '../../ir/index.js';
import { erf } from '../activation-fns.js';
import { broadcastIndexMap } from '../indexing.js';
import { defineKernel, floatInput, floatOutput, type KernelContext, type KernelDef } from '../kernel.js';
import { isFloatDType, readFloats, writeFloats, type Tensor } from '../tensor.js';

/** Rounds halves to the even neighbour, keeping the sign of zero (numpy's rint). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const fl = Math.floor(x);
  const d = x - fl;
  const r = d < 0.5 ? fl : d > 0.5 ? fl + 1 : fl % 2 === 0 ? fl : fl + 1;
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/** log(1 + e^x) without overflow for large x. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

const sign = (x: number) => (x > 0 ? 1 : x < 0 ? -1 : x);
const hardSigmoid = (x: number, alpha: number, beta: number) => Math.max(0, Math.min(1, alpha * x + beta));

type FloatFn = (attrs: Attrs) => (x: number) => number;
const a = (attrs: Attrs, key: string) => attrs[key] as number;

const MATH_FNS: Readonly<Record<MathOp, FloatFn>> = {
  Sqrt: () => Math.sqrt, Exp: () => Math.exp, Log: () => Math.log, Erf: () => erf,
  Reciprocal: () => (x) => 1 / x, Neg: () => (x) => -x, Abs: () => Math.abs, Sign: () => sign,
  Floor: () => Math.floor, Ceil: () => Math.ceil, Round: () => roundHalfEven,
  Sin: () => Math.sin, Cos: () => Math.cos, Tan: () => Math.tan,
  Asin: () => Math.asin, Acos: () => Math.acos, Atan: () => Math.atan,
  Sinh: () => Math.sinh, Cosh: () => Math.cosh, Asinh: () => Math.asinh, Acosh: () => Math.acosh, Atanh: () => Math.atanh,
  Elu: (t) => (x) => (x < 0 ? a(t, 'alpha') * (Math.exp(x) - 1) : x),
  Selu: (t) => (x) => (x > 0 ? a(t, 'gamma') * x : a(t, 'gamma') * (a(t, 'alpha') * Math.exp(x) - a(t, 'alpha'))),
  HardSigmoid: (t) => (x) => hardSigmoid(x, a(t, 'alpha'), a(t, 'beta')),
  HardSwish: () => (x) => x * hardSigmoid(x, 1 / 6, 0.5),
  Softplus: () => softplus,
  Softsign: () => (x) => x / (1 + Math.abs(x)),
  Mish: () => (x) => x * Math.tanh(softplus(x)),
};

/** Integer forms; the typed-array store wraps (abs(-128) in i8 is -128, as in C). */
const INT_FNS: Readonly<Record<string, { int: (x: number) => number; i64: (x: bigint) => bigint }>> = {
  Neg: { int: (x) => -x, i64: (x) => -x },
  Abs: { int: Math.abs, i64: (x) => (x < 0n ? -x : x) },
  Sign: { int: Math.sign, i64: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n) },
};

function mathKernel(op: MathOp): KernelDef {
  return defineKernel(op, (ctx) => {
    const x = ctx.inputs[0]!;
    const { dtype, shape } = ctx.outputs[0]!;
    if (isFloatDType(dtype)) return [floatOutput(ctx, floatInput(ctx, 0).map(MATH_FNS[op](ctx.attrs)))];
    const fns = INT_FNS[op]!;
    const out = allocate(dtype, x.data.length);
    if (dtype === 'i64') (x.data as BigInt64Array).forEach((v, i) => (out[i] = fns.i64(v)));
    else (x.data as Int32Array).forEach((v, i) => (out[i] = fns.int(v)));
    return [{ dtype, shape: [...shape], data: out }];
  });
}

/** Each element of input `i` as a comparable value: floats decoded, integers as stored. */
function comparable(t: Tensor): ArrayLike<number | bigint> {
  return isFloatDType(t.dtype) ? readFloats(t) : (t.data as ArrayLike<number | bigint>);
}

type Compare = (x: number | bigint, y: number | bigint) => boolean;
const COMPARE_FNS: Readonly<Record<CompareOp, Compare>> = {
  Equal: (x, y) => x === y, Less: (x, y) => x < y, Greater: (x, y) => x > y,
  LessOrEqual: (x, y) => x <= y, GreaterOrEqual: (x, y) => x >= y,
  And: (x, y) => x !== 0 && y !== 0, Or: (x, y) => x !== 0 || y !== 0, Xor: (x, y) => (x !== 0) !== (y !== 0),
};

function compareKernel(op: CompareOp): KernelDef {
  return defineKernel(op, (ctx) => {
    const [ta, tb] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const { shape } = ctx.outputs[0]!;
    const [ia, ib] = [broadcastIndexMap(ta.shape, shape), broadcastIndexMap(tb.shape, shape)];
    const [va, vb, f] = [comparable(ta), comparable(tb), COMPARE_FNS[op]];
    const out = new Uint8Array(ia.length);
    for (let i = 0; i < out.length; i++) out[i] = f(va[ia[i]!]!, vb[ib[i]!]!) ? 1 : 0;
    return [{ dtype: 'bool', shape: [...shape], data: out }];
  });
}

/** Remainder of truncating division, then (fmod 0) moved to the divisor's sign. */
const modKernel = defineKernel('Mod', (ctx) => {
  const [ta, tb] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const { dtype, shape } = ctx.outputs[0]!;
  const [ia, ib] = [broadcastIndexMap(ta.shape, shape), broadcastIndexMap(tb.shape, shape)];
  const python = ctx.attrs.fmod === 0;
  if (isFloatDType(dtype)) {
    const [va, vb] = [readFloats(ta), readFloats(tb)];
    return [floatOutput(ctx, Array.from(ia, (_, i) => va[ia[i]!]! % vb[ib[i]!]!))];
  }
  const [va, vb] = [ta.data as ArrayLike<number | bigint>, tb.data as ArrayLike<number | bigint>];
  const out = allocate(dtype, ia.length);
  for (let i = 0; i < out.length; i++) {
    const [x, y] = [va[ia[i]!]!, vb[ib[i]!]!];
    if (y === 0 || y === 0n) ctx.fail(`integer Mod of ${x} by ${y} has no result (division by zero)`);
    const r = typeof x === 'bigint' ? x % (y as bigint) : x % (y as number);
    out[i] = python && r !== 0 && r !== 0n && (r < 0) !== (y < 0) ? (typeof r === 'bigint' ? r + (y as bigint) : r + (y as number)) : r;
  }
  return [{ dtype, shape: [...shape], data: out }];
});

const notKernel = defineKernel('Not', (ctx) => {
  const x = ctx.inputs[0]!;
  return [{ dtype: 'bool', shape: [...x.shape], data: (x.data as Uint8Array).map((v) => (v ? 0 : 1)) }];
});

const preluKernel = defineKernel('PRelu', (ctx) => {
  const [x, slope] = [floatInput(ctx, 0), floatInput(ctx, 1)];
  const is = broadcastIndexMap(ctx.inputs[1]!.shape, ctx.outputs[0]!.shape);
  return [floatOutput(ctx, x.map((v, i) => (v < 0 ? slope[is[i]!]! * v : v)))];
});

const whereKernel = defineKernel('Where', (ctx) => {
  const [cond, x, y] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2]!];
  const { dtype, shape } = ctx.outputs[0]!;
  const [ic, ix, iy] = [cond, x, y].map((t) => broadcastIndexMap(t.shape, shape)) as [Int32Array, Int32Array, Int32Array];
  const c = cond.data as Uint8Array;
  const out = allocate(dtype, ic.length);
  // Raw element copies: f16/bf16 bits and i64 values pass through unchanged.
  for (let i = 0; i < out.length; i++) out[i] = c[ic[i]!] ? x.data[ix[i]!]! : y.data[iy[i]!]!;
  return [{ dtype, shape: [...shape], data: out }];
});

/** The f32 nearest to an i64 (ties to even), rounded once as a C++ cast does. */
export function i64ToF32(v: bigint): number {
  const mag = v < 0n ? -v : v;
  const bits = mag.toString(2).length;
  if (bits <= 24) return Number(v);
  const shift = BigInt(bits - 24);
  let q = mag >> shift;
  const rem = mag - (q << shift);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  const r = Number(q) * 2 ** Number(shift);
  return v < 0n ? -r : r;
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  i8: [-128, 127], u8: [0, 255], i32: [-2147483648, 2147483647],
};

/** Float to integer: truncate toward zero; NaN gives 0 and out-of-range values saturate. */
function floatToInt(dtype: DType, values: Float64Array): TypedArray {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const t = Number.isNaN(values[i]!) ? 0 : Math.trunc(values[i]!);
    if (dtype === 'i64') {
      out[i] = t >= 2 ** 63 ? 2n ** 63n - 1n : t < -(2 ** 63) ? -(2n ** 63n) : BigInt(t);
    } else {
      const [lo, hi] = INT_RANGE[dtype]!;
      out[i] = Math.min(hi, Math.max(lo, t));
    }
  }
  return out;
}

/** Integer to integer: keep the low bits (two's complement), as ONNX asks. */
function intToInt(dtype: DType, src: Tensor): TypedArray {
  const n = src.data.length;
  const out = allocate(dtype, n);
  if (src.dtype === 'i64') {
    const d = src.data as BigInt64Array;
    for (let i = 0; i < n; i++) out[i] = dtype === 'i64' ? d[i]! : Number(BigInt.asIntN(32, d[i]!));
  } else {
    const d = src.data as Int32Array;
    for (let i = 0; i < n; i++) out[i] = dtype === 'i64' ? BigInt(d[i]!) : d[i]!;
  }
  return out; // the typed-array store wraps i32 values into i8/u8
}

function cast(ctx: KernelContext): TypedArray {
  const x = ctx.inputs[0]!;
  const to = ctx.outputs[0]!.dtype;
  const n = x.data.length;
  if (to === 'bool') {
    const v = comparable(x);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = v[i] !== 0 && v[i] !== 0n ? 1 : 0;
    return out;
  }
  if (isFloatDType(x.dtype)) {
    const v = readFloats(x);
    return isFloatDType(to) ? writeFloats(to, v) : floatToInt(to, v);
  }
  if (isFloatDType(to)) {
    // Integers reach f16/bf16 through f32 (writeFloats rounds to f32 first), as C++ and PyTorch do.
    const v = x.dtype === 'i64' ? Array.from(x.data as BigInt64Array, i64ToF32) : Array.from(x.data as Int32Array, Math.fround);
    return writeFloats(to, v);
  }
  return intToInt(to, x);
}

const castKernel = defineKernel('Cast', (ctx) => {
  const { dtype, shape } = ctx.outputs[0]!;
  return [{ dtype, shape: [...shape], data: cast(ctx) }];
});

export const elementwiseKernels: readonly KernelDef[] = [
  ...(Object.keys(MATH_OPS) as MathOp[]).map(mathKernel),
  ...(Object.keys(COMPARE_OPS) as CompareOp[]).map(compareKernel),
  notKernel,
  modKernel,
  preluKernel,
  whereKernel,
  castKernel,
];
