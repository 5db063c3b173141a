// Selection and layout ops: Slice, Split, Gather, GatherElements, Expand, Tile, Pad,
// DepthToSpace, SpaceToDepth, Trilu. ONNX passes their parameters (starts, pads,
// repeats, ...) as inputs since various opsets; the IR takes them as attributes, so
// they must be known at import. Slice, Gather and Expand also evaluate on known values
// (shape vectors), and a symbolic Slice end equal to the sliced dim means "to the end";
// any other symbolic end becomes a Gather of a run-time Range.
import { dimSub, type Dim } from '../../ir/index.js';
import type { NodeContext } from '../import/context.js';
import { Known, MAX_ELEMS, T } from '../import/known.js';
import { broadcastStatic, gatherElems, mapBroadcast, sliceElems, sliceRange } from '../import/known-ops.js';
import { defineImporter } from '../import/registry.js';
import { axisOf, elemsOf, intsInputOrAttr, symbolicRange } from './helpers.js';

const INT64_MAX = 2 ** 63;

/**
 * table[start:seq] with a symbolic end (a position-embedding table cut to the input's
 * length): a Gather of the rows start..end-1, which a symbolic Range computes at run
 * time. The other axes slice as usual first. Starts must be numbers >= 0, steps 1.
 */
function sliceToSymbolicEnd(ctx: NodeContext, starts: Dim[], ends: Dim[], axes: number[], steps: number[]): void {
  const symbolic = ends.flatMap((e, i) => (typeof e === 'string' ? [i] : []));
  for (const i of symbolic) {
    const s = starts[i];
    if (typeof s !== 'number' || s < 0 || steps[i] !== 1) ctx.unsupported('data-dependent shape', `slice of axis ${axes[i]} from ${s} to ${ends[i]} (step ${steps[i]}) is known only at run time`);
  }
  const rest = ends.flatMap((_, i) => (symbolic.includes(i) ? [] : [i]));
  const numeric = (v: Dim, what: string, i: number): number => (typeof v === 'number' ? v : ctx.unsupported('data-dependent shape', `${what}[${i}] = ${v} is known only at run time`));
  let x = ctx.value(0);
  if (rest.length) {
    x = ctx.emit('Slice', [x], { starts: rest.map((i) => numeric(starts[i]!, 'starts', i)), ends: rest.map((i) => numeric(ends[i]!, 'ends', i)), axes: rest.map((i) => axes[i]!), steps: rest.map((i) => steps[i]!) }, 'slice');
  }
  symbolic.forEach((i, k) => {
    const start = starts[i] as number;
    const rows = symbolicRange(ctx, start, dimSub(ends[i]!, start), 1, T.INT64);
    x = ctx.emit('Gather', [x, rows], { axis: axes[i]! }, k === symbolic.length - 1 ? 0 : `rows${k}`);
  });
}

function importSlice(ctx: NodeContext, starts: Dim[], ends: Dim[], axesIn: number[] | undefined, stepsIn: number[] | undefined): void {
  const shape = ctx.shape(0);
  const axes = (axesIn ?? starts.map((_, i) => i)).map((a) => axisOf(ctx, a, shape.length, 'axes'));
  const steps = stepsIn ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) ctx.fail('starts, ends, axes and steps must have one length');
  // x[:, :seq] where seq is the axis' own size: the whole axis.
  ends = ends.map((v, i) => (typeof v === 'string' && v === shape[axes[i]!] && steps[i]! > 0 ? INT64_MAX : v));
  if (ends.some((v) => typeof v === 'string')) return sliceToSymbolicEnd(ctx, starts, ends, axes, steps);
  const numeric = (v: Dim, i: number, what: string): number => {
    if (typeof v === 'number') return v;
    return ctx.unsupported('data-dependent shape', `${what}[${i}] = ${v} is known only at run time`);
  };
  const s = starts.map((v, i) => numeric(v, i, 'starts'));
  const e = ends.map((v, i) => numeric(v, i, 'ends'));
  const data = elemsOf(ctx, 0);
  if (data) {
    const ranges = data.shape.map((n) => ({ start: 0, count: n, step: 1 }));
    axes.forEach((a, i) => (ranges[a] = { ...sliceRange(data.shape[a]!, s[i]!, e[i]!, steps[i]!), step: steps[i]! }));
    const r = sliceElems(data, ranges);
    return ctx.setKnown(0, Known.fromElems(ctx.dataType(0), r.shape, r.elems));
  }
  ctx.emit('Slice', [ctx.value(0)], { starts: s, ends: e, axes, steps }, 0);
}

defineImporter('Slice', {
  import: (ctx) => {
    const starts = ctx.attrs.ints('starts') ?? ctx.fail("attribute 'starts' is required");
    importSlice(ctx, starts, ctx.attrs.ints('ends') ?? ctx.fail("attribute 'ends' is required"), ctx.attrs.ints('axes'), undefined);
  },
});
defineImporter('Slice', {
  sinceVersion: 10,
  import: (ctx) => {
    const axes = ctx.has(3) ? ctx.numbers(3, 'axes') : undefined;
    const steps = ctx.has(4) ? ctx.numbers(4, 'steps') : undefined;
    importSlice(ctx, ctx.dims(1, 'starts'), ctx.dims(2, 'ends'), axes, steps);
  },
});

defineImporter('Split', {
  import: (ctx) => {
    const split = intsInputOrAttr(ctx, 1, 'split', 13) ?? [];
    const numOutputs = ctx.opset >= 18 ? ctx.attrs.int('num_outputs', 0) : 0;
    const shape = ctx.shape(0);
    const axis = axisOf(ctx, ctx.attrs.int('axis', 0), shape.length);
    if (!split.includes(0) || shape.some((d) => typeof d !== 'number')) {
      return void ctx.emitMulti('Split', [ctx.value(0)], { axis, split, numOutputs }, ctx.outputCount);
    }
    // Empty parts (function bodies split off a zero-length remainder) become empty constants, the rest slices.
    let offset = 0;
    split.forEach((size, k) => {
      if (size === 0) {
        const empty = (shape as number[]).map((d, i) => (i === axis ? 0 : d));
        ctx.setKnown(k, Known.fromElems(ctx.dataType(0), empty, []));
      } else {
        ctx.emit('Slice', [ctx.value(0)], { starts: [offset], ends: [offset + size], axes: [axis], steps: [1] }, k);
      }
      offset += size;
    });
  },
});

defineImporter('Gather', {
  import: (ctx) => {
    const rank = ctx.rank(0);
    const axis = axisOf(ctx, ctx.attrs.int('axis', 0), rank);
    const data = elemsOf(ctx, 0);
    const indices = ctx.known(1)?.numbers();
    if (data && indices) {
      const r = gatherElems(data, { shape: [...ctx.known(1)!.shape], values: indices }, axis);
      if (!r) return ctx.fail(`indices [${indices}] are out of range for axis ${axis} of size ${data.shape[axis]}`);
      return ctx.setKnown(0, Known.fromElems(ctx.dataType(0), r.shape, r.elems));
    }
    ctx.emit('Gather', [ctx.value(0), ctx.value(1)], { axis }, 0);
  },
});

defineImporter('GatherElements', {
  import: (ctx) => void ctx.emit('GatherElements', [ctx.value(0), ctx.value(1)], { axis: ctx.attrs.int('axis', 0) }, 0),
});

defineImporter('Expand', {
  import: (ctx) => {
    const shape = ctx.shape(0);
    const target = ctx.dims(1, 'shape');
    // A symbolic target dim meeting the same symbol (right-aligned) broadcasts to it, as 1 would.
    const resolved = target.map((d, i) => (typeof d === 'string' && d === shape[i + shape.length - target.length] ? 1 : d));
    if (resolved.some((d) => typeof d === 'string')) return void ctx.emit('Expand', [ctx.value(0)], { shape: resolved }, 0);
    const dims = resolved as number[];
    const data = elemsOf(ctx, 0);
    const out = data && broadcastStatic(data.shape, dims);
    if (data && out && out.reduce((a, b) => a * b, 1) <= MAX_ELEMS) {
      const r = mapBroadcast([data, { shape: dims, elems: new Array(dims.reduce((a, b) => a * b, 1)).fill(0) }], (x) => x)!;
      return ctx.setKnown(0, Known.fromElems(ctx.dataType(0), r.shape, r.elems));
    }
    if (dims.length <= shape.length && dims.every((d) => d === 1)) return ctx.alias(0, 0);
    ctx.emit('Expand', [ctx.value(0)], { shape: dims }, 0);
  },
});

defineImporter('Tile', {
  import: (ctx) => void ctx.emit('Tile', [ctx.value(0)], { repeats: ctx.dims(1, 'repeats') }, 0),
});

function importPad(ctx: NodeContext, pads: number[], mode: string, value: number, axes: number[]): void {
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) ctx.badAttr('mode', mode);
  if (pads.every((p) => p === 0)) return ctx.alias(0, 0);
  ctx.emit('Pad', [ctx.value(0)], { pads, mode, value, axes }, 0);
}

defineImporter('Pad', {
  import: (ctx) => importPad(ctx, ctx.attrs.ints('pads') ?? ctx.fail("attribute 'pads' is required"), ctx.attrs.string('mode', 'constant'), ctx.attrs.float('value', 0), []),
});
defineImporter('Pad', {
  sinceVersion: 11,
  import: (ctx) => {
    const value = ctx.has(2) ? ctx.numbers(2, 'constant_value')[0] ?? 0 : 0;
    const axes = ctx.has(3) ? ctx.numbers(3, 'axes') : [];
    importPad(ctx, ctx.numbers(1, 'pads'), ctx.attrs.string('mode', 'constant'), value, axes);
  },
});

defineImporter('DepthToSpace', {
  import: (ctx) => {
    const attrs = { blocksize: ctx.attrs.int('blocksize') ?? ctx.fail("attribute 'blocksize' is required"), mode: ctx.opset >= 11 ? ctx.attrs.string('mode', 'DCR') : 'DCR' };
    ctx.emit('DepthToSpace', [ctx.value(0)], attrs, 0);
  },
});

defineImporter('SpaceToDepth', {
  import: (ctx) => void ctx.emit('SpaceToDepth', [ctx.value(0)], { blocksize: ctx.attrs.int('blocksize') ?? ctx.fail("attribute 'blocksize' is required") }, 0),
});

defineImporter('Trilu', {
  import: (ctx) => {
    const k = ctx.has(1) ? ctx.numbers(1, 'k')[0]! : 0;
    ctx.emit('Trilu', [ctx.value(0)], { upper: ctx.attrs.int('upper', 1) !== 0, k }, 0);
  },
});
