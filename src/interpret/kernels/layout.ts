// Layout kernels: Slice, Split, Gather, GatherElements, Expand, Tile, Pad,
// DepthToSpace, SpaceToDepth, Trilu (ONNX semantics). Each one says, for every output
// element, which input element it copies (or that it is a fill value), and `take`
// does the copying, so every dtype moves unchanged (f16/bf16 bits, i64 as bigint).
import { formatType, normalizeAxis, padParams, sliceParams, splitSizes, stridesOf, type SliceAxis } from '../../ir/index.js';
import { broadcastIndexMap } from '../indexing.js';
import { defineKernel, type KernelContext, type KernelDef } from '../kernel.js';
import { tensorValues } from '../tensor.js';
import { scalarOf, take } from './layout-take.js';
import { resizeKernels } from './layout-resize.js';
import { generatorKernels } from './layout-generators.js';

/** Flat index of a multi-index in a shape with the given strides. */
const flat = (idx: readonly number[], strides: readonly number[]) => idx.reduce((a, v, d) => a + v * strides[d]!, 0);

/** Index values of input `i` (i32 or i64), each normalized against `dim` and range-checked. */
function indexValues(ctx: KernelContext, i: number, dim: number, axis: number): number[] {
  const data = ctx.inputs[0]!;
  return tensorValues(ctx.inputs[i]!).map((v, k) => {
    const j = v < 0 ? v + dim : v;
    if (j < 0 || j >= dim) ctx.fail(`indices[${k}] = ${v} is out of range for axis ${axis} of input 'data' ${formatType(data)} (valid: ${-dim}..${dim - 1})`, 'indices');
    return j;
  });
}

const slice = defineKernel('Slice', (ctx) => {
  const x = ctx.inputs[0]!;
  const p = sliceParams(x.shape, ctx.attrs as never) as SliceAxis[];
  const strides = stridesOf(x.shape);
  return [take(x, ctx.outputs[0]!, (idx) => idx.reduce((a, v, d) => a + (p[d]!.start + v * p[d]!.step) * strides[d]!, 0))];
});

const split = defineKernel('Split', (ctx) => {
  const x = ctx.inputs[0]!;
  const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
  const sizes = splitSizes(x.shape[axis]!, ctx.attrs.split as number[], ctx.outputs.length, ctx.attrs.numOutputs as number) as number[];
  const strides = stridesOf(x.shape);
  let offset = 0;
  return ctx.outputs.map((out, k) => {
    const from = offset;
    offset += sizes[k]!;
    return take(x, out, (idx) => flat(idx, strides) + from * strides[axis]!);
  });
});

const gather = defineKernel('Gather', (ctx) => {
  const [x, ind] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
  const values = indexValues(ctx, 1, x.shape[axis]!, axis);
  const q = ind.shape.length;
  const [xs, is] = [stridesOf(x.shape), stridesOf(ind.shape)];
  // Output dims: data's before the axis, the indices' dims, data's after the axis.
  return [take(x, ctx.outputs[0]!, (idx) => {
    const j = values[flat(idx.slice(axis, axis + q), is)]!;
    return flat([...idx.slice(0, axis), j, ...idx.slice(axis + q)], xs);
  })];
});

const gatherElements = defineKernel('GatherElements', (ctx) => {
  const [x, ind] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
  const values = indexValues(ctx, 1, x.shape[axis]!, axis);
  const [xs, is] = [stridesOf(x.shape), stridesOf(ind.shape)];
  return [take(x, ctx.outputs[0]!, (idx) => flat(idx.map((v, d) => (d === axis ? values[flat(idx, is)]! : v)), xs))];
});

const expand = defineKernel('Expand', (ctx) => {
  const x = ctx.inputs[0]!;
  const out = ctx.outputs[0]!;
  const map = broadcastIndexMap(x.shape, out.shape);
  const os = stridesOf(out.shape);
  return [take(x, out, (idx) => map[flat(idx, os)]!)];
});

const tile = defineKernel('Tile', (ctx) => {
  const x = ctx.inputs[0]!;
  const xs = stridesOf(x.shape);
  return [take(x, ctx.outputs[0]!, (idx) => idx.reduce((a, v, d) => a + (v % x.shape[d]!) * xs[d]!, 0))];
});

/** Where output coordinate c (already shifted by the begin pad) reads in a dim of n, or -1 for the fill. */
export function padSource(c: number, n: number, mode: string): number {
  if (c >= 0 && c < n) return c;
  switch (mode) {
    case 'edge': return c < 0 ? 0 : n - 1;
    case 'wrap': return ((c % n) + n) % n;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = ((c % period) + period) % period;
      return m < n ? m : period - m;
    }
    default: return -1;
  }
}

const pad = defineKernel('Pad', (ctx) => {
  const x = ctx.inputs[0]!;
  const { begin } = padParams(x.shape.length, ctx.attrs.pads as number[], ctx.attrs.axes as number[]) as { begin: number[] };
  const mode = ctx.attrs.mode as string;
  const xs = stridesOf(x.shape);
  const fill = scalarOf(x.dtype, ctx.attrs.value as number);
  return [take(x, ctx.outputs[0]!, (idx) => {
    let s = 0;
    for (let d = 0; d < idx.length; d++) {
      const c = padSource(idx[d]! - begin[d]!, x.shape[d]!, mode);
      if (c < 0) return -1;
      s += c * xs[d]!;
    }
    return s;
  }, fill)];
});

const depthToSpace = defineKernel('DepthToSpace', (ctx) => {
  const x = ctx.inputs[0]!;
  const b = ctx.attrs.blocksize as number;
  const c = x.shape[1]! / (b * b);
  const xs = stridesOf(x.shape);
  const dcr = ctx.attrs.mode === 'DCR';
  return [take(x, ctx.outputs[0]!, ([n, ch, y, w]) => {
    const [by, bx] = [y! % b, w! % b];
    const src = dcr ? (by * b + bx) * c + ch! : ch! * b * b + by * b + bx;
    return flat([n!, src, Math.floor(y! / b), Math.floor(w! / b)], xs);
  })];
});

const spaceToDepth = defineKernel('SpaceToDepth', (ctx) => {
  const x = ctx.inputs[0]!;
  const b = ctx.attrs.blocksize as number;
  const c = x.shape[1]!;
  const xs = stridesOf(x.shape);
  return [take(x, ctx.outputs[0]!, ([n, ch, y, w]) => {
    const block = Math.floor(ch! / c);
    return flat([n!, ch! % c, y! * b + Math.floor(block / b), w! * b + (block % b)], xs);
  })];
});

const trilu = defineKernel('Trilu', (ctx) => {
  const x = ctx.inputs[0]!;
  const [upper, k] = [ctx.attrs.upper as boolean, ctx.attrs.k as number];
  const xs = stridesOf(x.shape);
  const r = x.shape.length;
  return [take(x, ctx.outputs[0]!, (idx) => {
    const diff = idx[r - 1]! - idx[r - 2]!;
    return (upper ? diff >= k : diff <= k) ? flat(idx, xs) : -1;
  }, scalarOf(x.dtype, 0))];
});

export const layoutKernels: readonly KernelDef[] = [
  slice, split, gather, gatherElements, expand, tile, pad, depthToSpace, spaceToDepth, trilu,
  ...resizeKernels, ...generatorKernels,
];
