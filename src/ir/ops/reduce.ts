// Reductions (ONNX semantics): Reduce (one op for ReduceSum/Mean/Max/Min/Prod/L1/L2/
// LogSum/LogSumExp/SumSquare, the ONNX op name becoming the `mode` attribute), ArgMax /
// ArgMin, TopK (two outputs: values and i64 indices) and CumSum. ONNX's axes/K/axis
// inputs are attributes here; the importer converts them when they are constant.
import { defineOp, type InferContext } from '../op-registry.js';
import type { DType } from '../dtype.js';
import { formatType, normalizeAxis, type Dim, type Shape, type TensorType } from '../shape.js';

export const REDUCE_MODES = ['sum', 'mean', 'max', 'min', 'prod', 'l1', 'l2', 'logSum', 'logSumExp', 'sumSquare'] as const;
export type ReduceMode = (typeof REDUCE_MODES)[number];

/** The ONNX op each mode stands for, for importers and messages. */
export const ONNX_REDUCE_OPS: Readonly<Record<string, ReduceMode>> = {
  ReduceSum: 'sum', ReduceMean: 'mean', ReduceMax: 'max', ReduceMin: 'min', ReduceProd: 'prod', ReduceL1: 'l1',
  ReduceL2: 'l2', ReduceLogSum: 'logSum', ReduceLogSumExp: 'logSumExp', ReduceSumSquare: 'sumSquare',
};

const FLOATS: readonly DType[] = ['f32', 'f16', 'bf16'];
const NUMERIC: readonly DType[] = [...FLOATS, 'i8', 'u8', 'i32', 'i64'];

/** Integer modes are exact in integer arithmetic; bool max/min are any/all. */
export function reduceDTypes(mode: ReduceMode): readonly DType[] {
  if (mode === 'sum' || mode === 'prod') return [...FLOATS, 'i32', 'i64'];
  if (mode === 'max' || mode === 'min') return [...FLOATS, 'i32', 'i64', 'bool'];
  return FLOATS;
}

/**
 * The sorted, normalized axes a Reduce node reduces: `axes` when given, else every axis
 * (or none when noopWithEmptyAxes). A string says what is wrong.
 */
export function reduceAxes(axes: readonly number[], rank: number, noopWithEmptyAxes: boolean): number[] | string {
  if (axes.length === 0) return noopWithEmptyAxes ? [] : Array.from({ length: rank }, (_, i) => i);
  const out: number[] = [];
  for (const a of axes) {
    const n = normalizeAxis(a, rank);
    if (n === undefined) return `axis ${a} is out of range for rank ${rank}`;
    if (out.includes(n)) return `axes [${axes.join(',')}] name axis ${n} twice`;
    out.push(n);
  }
  return out.sort((p, q) => p - q);
}

/** The shape after reducing `axes`: those dims become 1 (keepDims) or disappear. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

function requireDType(ctx: InferContext, x: TensorType, allowed: readonly DType[], why: string): void {
  if (!allowed.includes(x.dtype)) {
    ctx.fail(`${why} takes ${allowed.join(', ')}; input 'x' is ${formatType(x)}`, { argument: 'x', expected: allowed.join('|'), received: formatType(x) });
  }
}

/** The one axis of ArgMax, TopK, CumSum, ...; fails naming the input type. */
export function singleAxis(ctx: InferContext, x: TensorType, attr = 'axis'): number {
  const axis = normalizeAxis(ctx.attrs[attr] as number, x.shape.length);
  if (axis === undefined) ctx.fail(`${attr} ${String(ctx.attrs[attr])} is out of range for input 'x' ${formatType(x)}`, { argument: attr, received: String(ctx.attrs[attr]) });
  return axis!;
}

defineOp({
  name: 'Reduce',
  group: 'reduce',
  inputs: [{ name: 'x' }],
  attrs: {
    mode: { kind: 'string', oneOf: REDUCE_MODES },
    axes: { kind: 'ints', default: [] },
    keepDims: { kind: 'bool', default: true },
    noopWithEmptyAxes: { kind: 'bool', default: false },
  },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const mode = ctx.attrs.mode as ReduceMode;
    requireDType(ctx, x, reduceDTypes(mode), `mode '${mode}'`);
    const axes = reduceAxes(ctx.attrs.axes as number[], x.shape.length, ctx.attrs.noopWithEmptyAxes as boolean);
    if (typeof axes === 'string') ctx.fail(`${axes} (input 'x' ${formatType(x)})`, { argument: 'axes', received: `[${String(ctx.attrs.axes)}]` });
    return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes as number[], ctx.attrs.keepDims as boolean) }];
  },
});

for (const name of ['ArgMax', 'ArgMin']) {
  defineOp({
    name,
    group: 'reduce',
    inputs: [{ name: 'x' }],
    attrs: { axis: { kind: 'int', default: 0 }, keepDims: { kind: 'bool', default: true }, selectLastIndex: { kind: 'bool', default: false } },
    infer: (ctx) => {
      const x = ctx.inputs[0]!;
      requireDType(ctx, x, NUMERIC, name);
      const axis = singleAxis(ctx, x);
      return [{ dtype: 'i64', shape: reducedShape(x.shape, [axis], ctx.attrs.keepDims as boolean) }];
    },
  });
}

defineOp({
  name: 'TopK',
  group: 'reduce',
  inputs: [{ name: 'x' }],
  attrs: { k: { kind: 'int' }, axis: { kind: 'int', default: -1 }, largest: { kind: 'bool', default: true }, sorted: { kind: 'bool', default: true } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    requireDType(ctx, x, NUMERIC, 'TopK');
    const axis = singleAxis(ctx, x);
    const k = ctx.attrs.k as number;
    const len = x.shape[axis]!;
    if (k < 0 || (typeof len === 'number' && k > len)) {
      ctx.fail(`k ${k} must be in 0..${len} (dim ${axis} of input 'x' ${formatType(x)})`, { argument: 'k', expected: `0..${len}`, received: String(k) });
    }
    if (typeof len === 'string' && k >= 0) ctx.need('ge', len, k, `${len} >= ${k} (k of TopK along dim ${axis})`);
    const shape = x.shape.map((d, i) => (i === axis ? k : d));
    return [{ dtype: x.dtype, shape }, { dtype: 'i64', shape }];
  },
});

defineOp({
  name: 'CumSum',
  group: 'reduce',
  inputs: [{ name: 'x' }],
  attrs: { axis: { kind: 'int' }, exclusive: { kind: 'bool', default: false }, reverse: { kind: 'bool', default: false } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    requireDType(ctx, x, [...FLOATS, 'i32', 'i64'], 'CumSum');
    singleAxis(ctx, x);
    return [x];
  },
});
