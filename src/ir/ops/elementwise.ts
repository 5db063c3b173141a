// Elementwise ops beyond activations and arithmetic, with ONNX semantics: unary math
// (MATH_OPS: one table, so the interpreter, codegen and DSL never list the ops again),
// PRelu, comparisons and logic producing bool, Where, and Cast. Broadcasting is numpy's,
// as for the binary ops.
import { DTYPES, type DType } from '../dtype.js';
import { defineOp, type AttrSpec, type InferContext } from '../op-registry.js';
import { formatType, type Dim, type TensorType } from '../shape.js';
import { broadcastShapes } from './shape-rules.js';

const FLOATS: readonly DType[] = ['f32', 'f16', 'bf16'];
const SIGNED: readonly DType[] = ['i8', 'i32', 'i64'];
const INTS: readonly DType[] = ['i8', 'u8', 'i32', 'i64'];

export interface MathOpDef {
  /** The dtypes the op computes on besides the float ones. */
  ints: readonly DType[];
  attrs: Record<string, AttrSpec>;
}

const float = (attrs: Record<string, AttrSpec> = {}): MathOpDef => ({ ints: [], attrs });
const f = (v: number): AttrSpec => ({ kind: 'float', default: v });

/** Unary math ops: y = f(x), same dtype and shape. Attribute defaults are ONNX's. */
export const MATH_OPS = {
  Sqrt: float(), Exp: float(), Log: float(), Erf: float(), Reciprocal: float(),
  Neg: { ints: SIGNED, attrs: {} },
  Abs: { ints: INTS, attrs: {} },
  Sign: { ints: INTS, attrs: {} },
  Floor: float(), Ceil: float(),
  /** Halves to even, as ONNX (and numpy) round. */
  Round: float(),
  Sin: float(), Cos: float(), Tan: float(), Asin: float(), Acos: float(), Atan: float(),
  Sinh: float(), Cosh: float(), Asinh: float(), Acosh: float(), Atanh: float(),
  Elu: float({ alpha: f(1) }),
  Selu: float({ alpha: f(1.67326319217681884765625), gamma: f(1.05070102214813232421875) }),
  HardSigmoid: float({ alpha: f(0.2), beta: f(0.5) }),
  HardSwish: float(), Softplus: float(), Softsign: float(), Mish: float(),
} satisfies Record<string, MathOpDef>;
export type MathOp = keyof typeof MATH_OPS;

/** Comparisons: bool result; the dtypes each accepts (both inputs the same). */
export const COMPARE_OPS = {
  Equal: [...FLOATS, ...INTS, 'bool'] as readonly DType[],
  Less: [...FLOATS, ...INTS], Greater: [...FLOATS, ...INTS],
  LessOrEqual: [...FLOATS, ...INTS], GreaterOrEqual: [...FLOATS, ...INTS],
  And: ['bool'], Or: ['bool'], Xor: ['bool'],
} satisfies Record<string, readonly DType[]>;
export type CompareOp = keyof typeof COMPARE_OPS;

function requireDType(ctx: InferContext, argument: string, t: TensorType, allowed: readonly DType[]): void {
  if (allowed.includes(t.dtype)) return;
  ctx.fail(`${ctx.node.op} is defined on ${allowed.join(', ')}; input '${argument}' is ${formatType(t)}`, { argument, expected: allowed.join('|'), received: t.dtype });
}

/** The broadcast of all the given types' shapes, or a failure naming them. */
function broadcastAll(ctx: InferContext, types: readonly TensorType[]): Dim[] {
  let shape: Dim[] = [...types[0]!.shape];
  for (const t of types.slice(1)) {
    const next = broadcastShapes(shape, t.shape, ctx.need);
    if (typeof next === 'string') {
      const all = types.map(formatType).join(', ');
      ctx.fail(`inputs ${all} do not broadcast: ${next}`, { expected: 'broadcastable shapes', received: all });
    }
    shape = next as Dim[];
  }
  return shape;
}

function sameDType(ctx: InferContext, names: readonly string[], types: readonly TensorType[]): void {
  if (types.every((t) => t.dtype === types[0]!.dtype)) return;
  const all = types.map((t, i) => `'${names[i]}' ${formatType(t)}`).join(', ');
  ctx.fail(`inputs ${all} must have one dtype`, { expected: types[0]!.dtype, received: types.map((t) => t.dtype).join(', ') });
}

for (const [name, def] of Object.entries(MATH_OPS)) {
  defineOp({
    name,
    group: 'elementwise',
    inputs: [{ name: 'x' }],
    attrs: def.attrs,
    infer: (ctx) => {
      const x = ctx.inputs[0]!;
      requireDType(ctx, 'x', x, [...FLOATS, ...def.ints]);
      return [x];
    },
  });
}

defineOp({
  name: 'Not',
  group: 'elementwise',
  inputs: [{ name: 'x' }],
  attrs: {},
  infer: (ctx) => {
    requireDType(ctx, 'x', ctx.inputs[0]!, ['bool']);
    return [ctx.inputs[0]!];
  },
});

/** y = x < 0 ? slope * x : x; slope broadcasts to x (unidirectionally, as ONNX says). */
defineOp({
  name: 'PRelu',
  group: 'elementwise',
  inputs: [{ name: 'x' }, { name: 'slope' }],
  attrs: {},
  infer: (ctx) => {
    const [x, slope] = [ctx.inputs[0]!, ctx.inputs[1]!];
    requireDType(ctx, 'x', x, FLOATS);
    sameDType(ctx, ['x', 'slope'], [x, slope]);
    const shape = broadcastShapes(x.shape, slope.shape, ctx.need);
    if (typeof shape === 'string' || shape.length !== x.shape.length || shape.some((d, i) => d !== x.shape[i])) {
      ctx.fail(`slope ${formatType(slope)} must broadcast to x ${formatType(x)}`, { argument: 'slope', expected: `broadcastable to ${formatType(x)}`, received: formatType(slope) });
    }
    return [x];
  },
});

for (const [name, dtypes] of Object.entries(COMPARE_OPS)) {
  defineOp({
    name,
    group: 'elementwise',
    inputs: [{ name: 'a' }, { name: 'b' }],
    attrs: {},
    infer: (ctx) => {
      const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
      requireDType(ctx, 'a', a, dtypes);
      sameDType(ctx, ['a', 'b'], [a, b]);
      return [{ dtype: 'bool', shape: broadcastAll(ctx, [a, b]) }];
    },
  });
}

/**
 * ONNX Mod: with fmod 0 the remainder takes the divisor's sign (Python's %), on
 * integers only; with fmod 1 it takes the dividend's (C's fmod).
 */
defineOp({
  name: 'Mod',
  group: 'elementwise',
  inputs: [{ name: 'a' }, { name: 'b' }],
  attrs: { fmod: { kind: 'int', default: 0 } },
  infer: (ctx) => {
    const [a, b] = [ctx.inputs[0]!, ctx.inputs[1]!];
    requireDType(ctx, 'a', a, [...FLOATS, ...INTS]);
    sameDType(ctx, ['a', 'b'], [a, b]);
    const fmod = ctx.attrs.fmod as number;
    if (fmod !== 0 && fmod !== 1) ctx.fail(`attribute 'fmod' must be 0 or 1, got ${fmod}`, { argument: 'fmod', expected: '0|1', received: String(fmod) });
    if (fmod === 0 && FLOATS.includes(a.dtype)) ctx.fail(`Mod on ${formatType(a)} needs fmod 1 (ONNX defines the integer remainder only for integers)`, { argument: 'fmod', expected: '1', received: '0' });
    return [{ dtype: a.dtype, shape: broadcastAll(ctx, [a, b]) }];
  },
});

/** out = cond ? x : y, all three broadcast together. */
defineOp({
  name: 'Where',
  group: 'elementwise',
  inputs: [{ name: 'cond' }, { name: 'x' }, { name: 'y' }],
  attrs: {},
  infer: (ctx) => {
    const [cond, x, y] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2]!];
    requireDType(ctx, 'cond', cond, ['bool']);
    sameDType(ctx, ['x', 'y'], [x, y]);
    return [{ dtype: x.dtype, shape: broadcastAll(ctx, [cond, x, y]) }];
  },
});

/**
 * Converts to dtype `to` (ONNX rules): floats to integers truncate toward zero (NaN
 * gives 0 and values out of range saturate, where ONNX leaves the result undefined);
 * integers to narrower integers wrap; anything to bool is x != 0; to f16/bf16 rounds
 * to nearest even, from integers through f32.
 */
defineOp({
  name: 'Cast',
  group: 'elementwise',
  inputs: [{ name: 'x' }],
  attrs: { to: { kind: 'string', oneOf: DTYPES } },
  infer: (ctx) => [{ dtype: ctx.attrs.to as DType, shape: ctx.inputs[0]!.shape }],
});
