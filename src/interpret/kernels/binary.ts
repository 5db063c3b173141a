// Elementwise binary kernels with numpy broadcasting, on floats (f64 math rounded at
// the output) and on integers. Integer results wrap like C: i32/i8/u8 through the
// typed array store (Math.imul keeps i32 products exact), i64 through BigInt64Array.
// Division truncates toward zero; dividing by zero fails instead of inventing a value.
import { allocate, formatType, type DType, type TypedArray } from '../../ir/index.js';
import { broadcastIndexMap } from '../indexing.js';
import { defineKernel, type KernelContext, type KernelDef } from '../kernel.js';
import { isFloatDType, readFloats, writeFloats } from '../tensor.js';

type NumFn = (a: number, b: number) => number;
/** undefined marks an operation with no integer result (division by zero). */
type BigFn = (a: bigint, b: bigint) => bigint | undefined;

interface BinaryImpl {
  float: NumFn;
  /** i32, i8, u8; a non-finite result marks division by zero. */
  int?: NumFn;
  i64?: BigFn;
  /** On 0/1 values; only where the result stays 0/1. */
  bool?: NumFn;
}

/** a^b in wrapping i32 arithmetic; negative powers truncate like integer division. */
function intPow(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : a === 0 ? Infinity : 0;
  let result = 1;
  let base = a | 0;
  for (let e = b; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

/** a^b wrapping at 64 bits each step, so a huge exponent cannot build a huge BigInt. */
function bigPow(a: bigint, b: bigint): bigint | undefined {
  if (b < 0n) return a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : a === 0n ? undefined : 0n;
  let result = 1n;
  let base = a;
  for (let e = b; e > 0n; e >>= 1n) {
    if (e & 1n) result = BigInt.asIntN(64, result * base);
    base = BigInt.asIntN(64, base * base);
  }
  return result;
}

function compute(ctx: KernelContext, impl: BinaryImpl): TypedArray {
  const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const { dtype, shape } = ctx.outputs[0]!;
  const ia = broadcastIndexMap(a.shape, shape);
  const ib = broadcastIndexMap(b.shape, shape);
  const n = ia.length;
  const noResult = (x: unknown, y: unknown): never => ctx.fail(`integer ${ctx.node.op} of ${String(x)} by ${String(y)} has no result (division by zero)`);
  if (isFloatDType(dtype)) {
    const [da, db] = [readFloats(a), readFloats(b)];
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = impl.float(da[ia[i]!]!, db[ib[i]!]!);
    return writeFloats(dtype, out);
  }
  if (dtype === 'i64') {
    if (!impl.i64) unsupported(ctx, dtype);
    const [da, db, out] = [a.data as BigInt64Array, b.data as BigInt64Array, new BigInt64Array(n)];
    for (let i = 0; i < n; i++) {
      const [x, y] = [da[ia[i]!]!, db[ib[i]!]!];
      out[i] = impl.i64!(x, y) ?? noResult(x, y);
    }
    return out;
  }
  const fn = dtype === 'bool' ? impl.bool : impl.int;
  if (!fn) unsupported(ctx, dtype);
  const [da, db, out] = [a.data as Int32Array, b.data as Int32Array, allocate(dtype, n) as Int32Array];
  for (let i = 0; i < n; i++) {
    const [x, y] = [da[ia[i]!]!, db[ib[i]!]!];
    const r = fn!(x, y);
    out[i] = Number.isFinite(r) ? r : noResult(x, y);
  }
  return out;
}

function unsupported(ctx: KernelContext, dtype: DType): never {
  const types = ctx.inputs.map((t) => formatType(t!)).join(' and ');
  return ctx.fail(`${ctx.node.op} is not defined on ${dtype} (inputs ${types})`);
}

function binary(op: string, impl: BinaryImpl): KernelDef {
  return defineKernel(op, (ctx) => {
    const { dtype, shape } = ctx.outputs[0]!;
    return [{ dtype, shape: [...shape], data: compute(ctx, impl) }];
  });
}

export const binaryKernels: readonly KernelDef[] = [
  binary('Add', { float: (a, b) => a + b, int: (a, b) => a + b, i64: (a, b) => a + b }),
  binary('Sub', { float: (a, b) => a - b, int: (a, b) => a - b, i64: (a, b) => a - b }),
  binary('Mul', { float: (a, b) => a * b, int: Math.imul, i64: (a, b) => a * b, bool: (a, b) => a & b }),
  binary('Div', { float: (a, b) => a / b, int: (a, b) => Math.trunc(a / b), i64: (a, b) => (b === 0n ? undefined : a / b) }),
  binary('Max', { float: Math.max, int: Math.max, i64: (a, b) => (a > b ? a : b), bool: Math.max }),
  binary('Min', { float: Math.min, int: Math.min, i64: (a, b) => (a < b ? a : b), bool: Math.min }),
  binary('Pow', { float: Math.pow, int: intPow, i64: bigPow }),
];
