// Layout ops that move or select elements without computing on them (ONNX semantics):
// Slice, Split (several outputs), Gather, GatherElements, Expand, Tile, Pad,
// DepthToSpace, SpaceToDepth, Trilu. Every ONNX input that is a constant in practice
// (starts, pads, repeats, ...) is an attribute here; the ONNX importer folds them.
// The parameter helpers (sliceParams, splitSizes, padParams) are shared by the
// interpreter and the CPU lowering, so all three read ONNX's rules in one place.
import { defineOp, type InferContext } from '../op-registry.js';
import { formatType, normalizeAxis, type Dim, type Shape, type TensorType } from '../shape.js';
import { dimAdd, dimCeilDiv, dimFloorDiv, dimMod, dimMul, dimSub } from '../dim-expr.js';
import { broadcastShapes, type Need } from './shape-rules.js';

const INDEX_DTYPES = ['i32', 'i64'];
// ONNX writes "to the end" as INT64_MAX; anything this large cannot be a real extent.
const HUGE = 2 ** 53;

export interface SliceAxis {
  /** First element read (already clamped); meaningful only when size > 0. NaN on a symbolic dim that is sliced. */
  start: number;
  step: number;
  size: Dim;
}

/**
 * The extent of a slice of a symbolic dim `d`. ONNX clamps start and end into the
 * dim; a symbolic dim cannot be clamped, so each bound is taken as written (a
 * negative one counting from `d`, INT64_MAX-like ones as the ends of the axis) and
 * `need` records that it lies inside the dim, where clamping changes nothing: the
 * profile check then names a size too small for the slice.
 */
function symbolicSlice(d: string, start: number, end: number, step: number, need?: Need): Dim {
  const last = dimSub(d, 1);
  // v inside [lo, hi] of ONNX's clamp, as an expression; lo and hi are offsets from 0 or from d.
  const bound = (v: number, what: string, lo: number): Dim => {
    const at = v < 0 ? dimAdd(d, v) : v;
    need?.('ge', at, lo, `${at} >= ${lo} (slice ${what} ${v})`);
    const hi = step > 0 ? d : last;
    need?.('ge', hi, at, `${hi} >= ${at} (slice ${what} ${v})`);
    return at;
  };
  if (step > 0) {
    const s = start >= HUGE ? d : start <= -HUGE ? 0 : bound(start, 'start', 0);
    const e = end >= HUGE ? d : end <= -HUGE ? 0 : bound(end, 'end', 0);
    return nonNegativeExtent(dimSub(e, s), step, `slice start ${start}, end ${end}`, need);
  }
  const s = start >= HUGE ? last : start <= -HUGE ? 0 : bound(start, 'start', 0);
  const e = end <= -HUGE ? -1 : end >= HUGE ? last : bound(end, 'end', -1);
  return nonNegativeExtent(dimSub(s, e), -step, `slice start ${start}, end ${end}, step ${step}`, need);
}

/** ceil(span/step) for a span that ONNX clamps at 0: a constant span is clamped here, a symbolic one needs span >= 0. */
function nonNegativeExtent(span: Dim, step: number, what: string, need?: Need): Dim {
  if (typeof span === 'number') return Math.max(0, Math.ceil(span / step));
  need?.('ge', span, 0, `${span} >= 0 (${what})`);
  return dimCeilDiv(span, step);
}

/** Per dim of the input: where the slice starts, its step and the output extent. */
export function sliceParams(shape: Shape, attrs: { starts: readonly number[]; ends: readonly number[]; axes: readonly number[]; steps: readonly number[] }, need?: Need): SliceAxis[] | string {
  const { starts, ends } = attrs;
  const rank = shape.length;
  const axes = attrs.axes.length ? attrs.axes : starts.map((_, i) => i);
  const steps = attrs.steps.length ? attrs.steps : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    return `starts [${starts}], ends [${ends}], axes [${attrs.axes}] and steps [${attrs.steps}] must have one length (axes and steps may be empty)`;
  }
  const out: SliceAxis[] = shape.map((d) => ({ start: 0, step: 1, size: d }));
  const seen = new Set<number>();
  for (let i = 0; i < axes.length; i++) {
    const axis = normalizeAxis(axes[i]!, rank);
    if (axis === undefined) return `axis ${axes[i]} is out of range for rank ${rank}`;
    if (seen.has(axis)) return `axis ${axes[i]} appears twice in axes [${axes}]`;
    seen.add(axis);
    const step = steps[i]!;
    if (step === 0) return `steps[${i}] is 0`;
    const dim = shape[axis]!;
    if (typeof dim === 'string') {
      if (starts[i] === 0 && ends[i]! >= HUGE && step === 1) continue;
      out[axis] = { start: NaN, step, size: symbolicSlice(dim, starts[i]!, ends[i]!, step, need) };
      continue;
    }
    let s = starts[i]! < 0 ? starts[i]! + dim : starts[i]!;
    let e = ends[i]! < 0 ? ends[i]! + dim : ends[i]!;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    out[axis] = { start: s, step, size: Math.max(0, Math.ceil((e - s) / step)) };
  }
  return out;
}

/**
 * Split's output extents along the axis: `split` when given, else `numOutputs` (or,
 * when that is 0, `outputs`: the layer's output count) equal chunks, the last smaller.
 */
export function splitSizes(dim: Dim, split: readonly number[], outputs: number, numOutputs: number, need?: Need): Dim[] | string {
  if (typeof dim === 'string') return symbolicSplit(dim, split, outputs, numOutputs, need);
  if (split.length) {
    if (numOutputs !== 0 && split.length !== numOutputs) return `split [${split}] has ${split.length} sizes, but numOutputs is ${numOutputs}`;
    if (split.some((s) => s < 0)) return `split [${split}] has a negative size`;
    const sum = split.reduce((a, b) => a + b, 0);
    if (sum !== dim) return `split [${split}] sums to ${sum}, but the axis has ${dim} elements`;
    return [...split];
  }
  const n = numOutputs || outputs;
  if (n < 1) return 'needs at least one output';
  const chunk = Math.ceil(dim / n);
  const last = dim - chunk * (n - 1);
  if (last < 0) return `${dim} elements cannot be split into ${n} chunks of ${chunk} (the last would be negative)`;
  return [...new Array<number>(n - 1).fill(chunk), last];
}

/** splitSizes for a symbolic dim: given sizes must sum to it; equal chunks are ceil(dim/n), the last the rest. */
function symbolicSplit(dim: string, split: readonly number[], outputs: number, numOutputs: number, need?: Need): Dim[] | string {
  if (split.length) {
    if (numOutputs !== 0 && split.length !== numOutputs) return `split [${split}] has ${split.length} sizes, but numOutputs is ${numOutputs}`;
    if (split.some((s) => s < 0)) return `split [${split}] has a negative size`;
    const sum = split.reduce((a, b) => a + b, 0);
    need?.('eq', dim, sum, `${dim} == ${sum} (split [${split}])`);
    return [...split];
  }
  const n = numOutputs || outputs;
  if (n < 1) return 'needs at least one output';
  const chunk = dimCeilDiv(dim, n);
  const last = dimSub(dim, dimMul(chunk, n - 1));
  need?.('ge', last, 0, `${last} >= 0 (${dim} split into ${n} chunks)`);
  return [...new Array<Dim>(n - 1).fill(chunk), last];
}

export const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'] as const;

/** Pads per dim of the input ([begin..., end...] over `axes`, default all dims), or a message. */
export function padParams(rank: number, pads: readonly number[], axesAttr: readonly number[]): { begin: number[]; end: number[] } | string {
  const axes = axesAttr.length ? axesAttr : Array.from({ length: rank }, (_, i) => i);
  if (pads.length !== 2 * axes.length) return `pads [${pads}] must have ${2 * axes.length} entries (begin and end for ${axes.length} axes)`;
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  const seen = new Set<number>();
  for (let i = 0; i < axes.length; i++) {
    const a = normalizeAxis(axes[i]!, rank);
    if (a === undefined) return `axis ${axes[i]} is out of range for rank ${rank}`;
    if (seen.has(a)) return `axis ${axes[i]} appears twice in axes [${axes}]`;
    seen.add(a);
    begin[a] = pads[i]!;
    end[a] = pads[i + axes.length]!;
  }
  return { begin, end };
}

function axisOf(ctx: InferContext, t: TensorType, argument = 'axis'): number {
  const a = normalizeAxis(ctx.attrs[argument] as number, t.shape.length);
  if (a === undefined) ctx.fail(`${argument} ${String(ctx.attrs[argument])} is out of range for input ${formatType(t)}`, { argument, received: String(ctx.attrs[argument]) });
  return a!;
}

function indexDtype(ctx: InferContext, t: TensorType): void {
  if (!INDEX_DTYPES.includes(t.dtype)) ctx.fail(`input 'indices' must be i32 or i64, got ${formatType(t)}`, { argument: 'indices', expected: 'i32|i64', received: formatType(t) });
}

defineOp({
  name: 'Slice',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { starts: { kind: 'ints' }, ends: { kind: 'ints' }, axes: { kind: 'ints', default: [] }, steps: { kind: 'ints', default: [] } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const p = sliceParams(x.shape, ctx.attrs as never, ctx.need);
    if (typeof p === 'string') ctx.fail(`${p} (input ${formatType(x)})`, { argument: 'starts', received: formatType(x) });
    return [{ dtype: x.dtype, shape: (p as SliceAxis[]).map((a) => a.size) }];
  },
});

defineOp({
  name: 'Split',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { axis: { kind: 'int', default: 0 }, split: { kind: 'ints', default: [] }, numOutputs: { kind: 'int', default: 0 } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const axis = axisOf(ctx, x);
    const sizes = splitSizes(x.shape[axis]!, ctx.attrs.split as number[], ctx.node.outputs.length, ctx.attrs.numOutputs as number, ctx.need);
    if (typeof sizes === 'string') ctx.fail(`${sizes} (input ${formatType(x)}, axis ${axis})`, { argument: 'split', received: formatType(x) });
    return (sizes as Dim[]).map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
  },
});

defineOp({
  name: 'Gather',
  group: 'movement',
  inputs: [{ name: 'data' }, { name: 'indices' }],
  attrs: { axis: { kind: 'int', default: 0 } },
  infer: (ctx) => {
    const [data, indices] = [ctx.inputs[0]!, ctx.inputs[1]!];
    indexDtype(ctx, indices);
    const axis = axisOf(ctx, data);
    return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
  },
});

defineOp({
  name: 'GatherElements',
  group: 'movement',
  inputs: [{ name: 'data' }, { name: 'indices' }],
  attrs: { axis: { kind: 'int', default: 0 } },
  infer: (ctx) => {
    const [data, indices] = [ctx.inputs[0]!, ctx.inputs[1]!];
    indexDtype(ctx, indices);
    const axis = axisOf(ctx, data);
    const fits = indices.shape.length === data.shape.length && indices.shape.every((d, i) => i === axis || typeof d !== 'number' || typeof data.shape[i] !== 'number' || d <= (data.shape[i] as number));
    if (!fits) ctx.fail(`input 'indices' ${formatType(indices)} must have the rank of input 'data' ${formatType(data)} and no larger dims outside axis ${axis}`, { argument: 'indices', expected: `rank ${data.shape.length}`, received: formatType(indices) });
    return [{ dtype: data.dtype, shape: indices.shape }];
  },
});

defineOp({
  name: 'Expand',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { shape: { kind: 'dims' } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const target = ctx.attrs.shape as Dim[];
    if (target.some((d) => typeof d === 'number' && d < 0)) ctx.fail(`shape [${target}] has a negative dim`, { argument: 'shape', received: `[${target}]` });
    const shape = broadcastShapes(x.shape, target, ctx.need);
    if (typeof shape === 'string') ctx.fail(`cannot expand input ${formatType(x)} to [${target}]: ${shape}`, { argument: 'shape', expected: formatType(x), received: `[${target}]` });
    return [{ dtype: x.dtype, shape: shape as Dim[] }];
  },
});

defineOp({
  name: 'Tile',
  group: 'movement',
  inputs: [{ name: 'x' }],
  /** Counts may be symbolic dims (repeat a row `batch` times). */
  attrs: { repeats: { kind: 'dims' } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const r = ctx.attrs.repeats as Dim[];
    if (r.length !== x.shape.length || r.some((v) => typeof v === 'number' && v < 0)) ctx.fail(`repeats [${r}] must hold ${x.shape.length} non-negative counts, one per dim of input ${formatType(x)}`, { argument: 'repeats', received: `[${r}]` });
    const shape = x.shape.map((d, i) => dimMul(d, r[i]!));
    return [{ dtype: x.dtype, shape }];
  },
});

defineOp({
  name: 'Pad',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { pads: { kind: 'ints' }, mode: { kind: 'string', default: 'constant', oneOf: PAD_MODES }, value: { kind: 'float', default: 0 }, axes: { kind: 'ints', default: [] } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const p = padParams(x.shape.length, ctx.attrs.pads as number[], ctx.attrs.axes as number[]);
    if (typeof p === 'string') ctx.fail(`${p} (input ${formatType(x)})`, { argument: 'pads', received: `[${String(ctx.attrs.pads)}]` });
    const { begin, end } = p as { begin: number[]; end: number[] };
    const shape = x.shape.map((d, i) => {
      if (begin[i] === 0 && end[i] === 0) return d;
      if (typeof d === 'string') {
        const padded = dimAdd(d, begin[i]! + end[i]!);
        ctx.need('ge', padded, ctx.attrs.mode !== 'constant' ? 1 : 0, `${padded} >= ${ctx.attrs.mode !== 'constant' ? 1 : 0} (pads ${begin[i]} and ${end[i]} of dim ${i})`);
        return padded;
      }
      const n = d + begin[i]! + end[i]!;
      if (n < 0) ctx.fail(`pads ${begin[i]} and ${end[i]} crop dim ${i} of input ${formatType(x)} below zero`, { argument: 'pads' });
      if (ctx.attrs.mode !== 'constant' && d === 0 && n > 0) ctx.fail(`mode '${String(ctx.attrs.mode)}' cannot pad the empty dim ${i} of input ${formatType(x)}`, { argument: 'mode' });
      return n;
    });
    return [{ dtype: x.dtype, shape }];
  },
});

function blockInput(ctx: InferContext): { x: TensorType; b: number; dims: Dim[] } {
  const x = ctx.inputs[0]!;
  const b = ctx.attrs.blocksize as number;
  if (b < 1) ctx.fail(`blocksize must be >= 1, got ${b}`, { argument: 'blocksize', received: String(b) });
  if (x.shape.length !== 4) ctx.fail(`input 'x' must be [N,C,H,W], got ${formatType(x)}`, { argument: 'x', expected: '[N,C,H,W]', received: formatType(x) });
  return { x, b, dims: x.shape.slice(1) };
}

/** d / k for a dim that must be a multiple of k: fails when provably not, else records the need. */
function exactDiv(ctx: InferContext, d: Dim, k: number, what: string): Dim {
  const r = dimMod(d, k);
  if (typeof r === 'number' && r !== 0) ctx.fail(what, { argument: 'blocksize', received: formatType(ctx.inputs[0]!) });
  if (typeof r === 'string') ctx.need('eq', r, 0, `${d} divisible by ${k} (blocksize)`);
  return dimFloorDiv(d, k);
}

defineOp({
  name: 'DepthToSpace',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { blocksize: { kind: 'int' }, mode: { kind: 'string', default: 'DCR', oneOf: ['DCR', 'CRD'] } },
  infer: (ctx) => {
    const { x, b, dims: [c, h, w] } = blockInput(ctx);
    const cOut = exactDiv(ctx, c!, b * b, `channels ${c} of input ${formatType(x)} are not divisible by blocksize^2 = ${b * b}`);
    return [{ dtype: x.dtype, shape: [x.shape[0]!, cOut, dimMul(h!, b), dimMul(w!, b)] }];
  },
});

defineOp({
  name: 'SpaceToDepth',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { blocksize: { kind: 'int' } },
  infer: (ctx) => {
    const { x, b, dims: [c, h, w] } = blockInput(ctx);
    const why = `spatial dims of input ${formatType(x)} are not divisible by blocksize ${b}`;
    return [{ dtype: x.dtype, shape: [x.shape[0]!, dimMul(c!, b * b), exactDiv(ctx, h!, b, why), exactDiv(ctx, w!, b, why)] }];
  },
});

defineOp({
  name: 'Trilu',
  group: 'movement',
  inputs: [{ name: 'x' }],
  attrs: { upper: { kind: 'bool', default: true }, k: { kind: 'int', default: 0 } },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    if (x.shape.length < 2) ctx.fail(`input 'x' must have rank >= 2, got ${formatType(x)}`, { argument: 'x', expected: 'rank >= 2', received: formatType(x) });
    return [x];
  },
});

export * from './layout-resize.js';
export * from './layout-generators.js';
