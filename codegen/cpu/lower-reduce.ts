// Lowerings of the reduce family onto native kernels: Reduce onto `reduce` (mode
// code + sorted axes), ArgMax/ArgMin onto `argmax`, Hardmax, TopK (two outputs),
// CumSum, LogSoftmax and the three normalizations. Axes are normalized here so the
// kernels only ever see 0 <= axis < rank; layouts are in native/PLAN_FORMAT.md.
import { REDUCE_MODES, normalizeAxis, reduceAxes, type ReduceMode } from '../../src/ir/index.js';
import { lowering, type LowerContext } from './kernel-table.js';

/** The `reduce` kernel's mode codes: REDUCE_MODES order (native/cpu/kernel-reduce.cc). */
export const REDUCE_MODE_CODES: Readonly<Record<ReduceMode, number>> = Object.fromEntries(REDUCE_MODES.map((m, i) => [m, i])) as Record<ReduceMode, number>;

const flag = (b: unknown) => (b ? 1 : 0);
const axisOf = ({ attrs, inputs }: LowerContext) => normalizeAxis(attrs.axis as number, inputs[0]!.shape.length)!;

lowering(['Reduce'], ({ attrs, inputs }) => {
  const axes = reduceAxes(attrs.axes as number[], inputs[0]!.shape.length, attrs.noopWithEmptyAxes as boolean) as number[];
  return { kernel: 'reduce', ints: [REDUCE_MODE_CODES[attrs.mode as ReduceMode], ...axes], floats: [] };
});

lowering(['ArgMax', 'ArgMin'], (ctx) => ({
  kernel: 'argmax', ints: [axisOf(ctx), flag(ctx.node.op === 'ArgMin'), flag(ctx.attrs.selectLastIndex)], floats: [],
}));

lowering(['Hardmax'], (ctx) => ({ kernel: 'hardmax', ints: [axisOf(ctx)], floats: [] }));
lowering(['LogSoftmax'], (ctx) => ({ kernel: 'logSoftmax', ints: [axisOf(ctx)], floats: [] }));

lowering(['TopK'], (ctx) => ({
  kernel: 'topk', ints: [axisOf(ctx), ctx.attrs.k as number, flag(ctx.attrs.largest), flag(ctx.attrs.sorted)], floats: [],
}));

lowering(['CumSum'], (ctx) => ({
  kernel: 'cumsum', ints: [axisOf(ctx), flag(ctx.attrs.exclusive), flag(ctx.attrs.reverse)], floats: [],
}));

lowering(['LayerNormalization'], (ctx) => ({ kernel: 'layerNorm', ints: [axisOf(ctx)], floats: [ctx.attrs.epsilon as number] }));
lowering(['InstanceNormalization'], ({ attrs }) => ({ kernel: 'instanceNorm', ints: [], floats: [attrs.epsilon as number] }));
lowering(['BatchNormalization'], ({ attrs }) => ({ kernel: 'batchNorm', ints: [], floats: [attrs.epsilon as number] }));
