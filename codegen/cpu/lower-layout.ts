// CPU lowerings of the layout family: ONNX-level attributes (negative axes, clamped
// slice bounds, pads over some axes, resize scales or sizes) are resolved here against
// the static input shapes, so each native kernel gets one plain, fully checked layout
// (native/PLAN_FORMAT.md, "Layout kernels").
import {
  normalizeAxis, padParams, resizeParams, shapeBounds, sliceParams,
  type ResizeAxis, type SliceAxis,
} from '../../src/ir/index.js';
import { lowering, type LowerContext } from './kernel-table.js';

export const PAD_MODE_CODES = { constant: 0, reflect: 1, edge: 2, wrap: 3 } as const;
export const RESIZE_MODE_CODES = { nearest: 0, linear: 1, cubic: 2 } as const;
export const COORDINATE_MODE_CODES = {
  half_pixel: 0, half_pixel_symmetric: 1, pytorch_half_pixel: 2, align_corners: 3, asymmetric: 4, tf_half_pixel_for_nn: 5,
} as const;
export const NEAREST_MODE_CODES = { round_prefer_floor: 0, round_prefer_ceil: 1, floor: 2, ceil: 3 } as const;

const code = <T extends Record<string, number>>(table: T, key: unknown): number => table[key as keyof T]!;

function fail(ctx: LowerContext, message: string): never {
  throw new Error(`layer '${ctx.node.name}' (${ctx.node.op}): ${message}`);
}

/** The resolved value of a shape helper, or a lowering error with its message. */
function resolved<T>(ctx: LowerContext, v: T | string): T {
  return typeof v === 'string' ? fail(ctx, v) : v;
}

const axisOf = (ctx: LowerContext) => normalizeAxis(ctx.attrs.axis as number, ctx.inputs[0]!.shape.length)!;

lowering(['Slice'], (ctx) => {
  const p = resolved<SliceAxis[]>(ctx, sliceParams(ctx.inputs[0]!.shape, ctx.attrs as never));
  return { kernel: 'slice', ints: [...p.map((a) => a.start), ...p.map((a) => a.step)], floats: [] };
});

lowering(['Split'], (ctx) => ({ kernel: 'split', ints: [axisOf(ctx)], floats: [] }));
lowering(['Gather'], (ctx) => ({ kernel: 'gather', ints: [axisOf(ctx)], floats: [] }));
lowering(['GatherElements'], (ctx) => ({ kernel: 'gatherElements', ints: [axisOf(ctx)], floats: [] }));
lowering(['Expand'], () => ({ kernel: 'expand', ints: [], floats: [] }));
lowering(['Tile'], (ctx) => ({ kernel: 'tile', ints: [...(ctx.attrs.repeats as number[])], floats: [] }));

lowering(['Pad'], (ctx) => {
  const rank = ctx.inputs[0]!.shape.length;
  const { begin, end } = resolved(ctx, padParams(rank, ctx.attrs.pads as number[], ctx.attrs.axes as number[]));
  return { kernel: 'pad', ints: [code(PAD_MODE_CODES, ctx.attrs.mode), ...begin, ...end], floats: [ctx.attrs.value as number] };
});

lowering(['Resize'], (ctx) => {
  const { attrs } = ctx;
  const p = resolved<ResizeAxis[]>(ctx, resizeParams(ctx.inputs[0]!.shape, attrs));
  return {
    kernel: 'resize',
    ints: [
      code(RESIZE_MODE_CODES, attrs.mode), code(COORDINATE_MODE_CODES, attrs.coordinateTransformationMode),
      code(NEAREST_MODE_CODES, attrs.nearestMode), attrs.excludeOutside ? 1 : 0, attrs.antialias ? 1 : 0,
    ],
    floats: [attrs.cubicCoeffA as number, ...p.map((a) => a.scale)],
  };
});

lowering(['DepthToSpace'], ({ attrs }) => ({ kernel: 'depthToSpace', ints: [attrs.blocksize as number, attrs.mode === 'CRD' ? 1 : 0], floats: [] }));
lowering(['SpaceToDepth'], ({ attrs }) => ({ kernel: 'spaceToDepth', ints: [attrs.blocksize as number], floats: [] }));
lowering(['Trilu'], ({ attrs }) => ({ kernel: 'trilu', ints: [attrs.upper ? 1 : 0, attrs.k as number], floats: [] }));
lowering(['ConstantOfShape'], ({ attrs }) => ({ kernel: 'fill', ints: [], floats: [attrs.value as number] }));
lowering(['Range'], ({ attrs }) => ({ kernel: 'range', ints: [], floats: [attrs.start as number, attrs.delta as number] }));
lowering(['Shape'], (ctx) => ({
  kernel: 'shape', ints: [shapeBounds(ctx.inputs[0]!.shape.length, ctx.attrs.start as number, ctx.attrs.end as number)[0]], floats: [],
}));
