// Lowerings of the core ops (SampleMNIST's set): activations, elementwise, conv, pool,
// matmul, scale, softmax, movement.
import { ACTIVATIONS, BINARY_OPS, normalizeAxis, windowParams, type Attrs } from '../../src/ir/index.js';
import { ACTIVATION_CODES, BINARY_CODES, POOL_MODE_CODES, SCALE_MODE_CODES, type ActivationName } from '../plan-desc.js';
import { lowering, type LowerContext } from './kernel-table.js';
import { lowpKernel } from './tactics-lowp.js';

const flag = (b: unknown) => (b ? 1 : 0);

function epilogue(attrs: Attrs): { code: number; floats: number[] } {
  return { code: ACTIVATION_CODES[attrs.activation as ActivationName], floats: [attrs.alpha as number, attrs.beta as number] };
}

/** A fused residual (input 3, the native layer's last) appends hasResidual; layers without one keep the old ints. */
const residualFlag = (ctx: LowerContext): number[] => (ctx.inputs[3] ? [1] : []);

function window(ctx: LowerContext, kernel: readonly number[]): number[] {
  const w = windowParams(ctx.attrs, kernel);
  if (typeof w === 'string') throw new Error(`layer '${ctx.node.name}': ${w}`);
  return [...w.strides, ...w.padsBegin, ...w.padsEnd, ...w.dilations];
}

lowering(Object.keys(ACTIVATIONS), ({ node, attrs }) => {
  const act = ACTIVATIONS[node.op]!;
  return { kernel: 'unary', ints: [ACTIVATION_CODES[act.epilogue]], floats: act.params(attrs) };
});

lowering(Object.keys(BINARY_OPS), ({ node }) => ({
  kernel: 'binary', ints: [BINARY_CODES[BINARY_OPS[node.op as keyof typeof BINARY_OPS]]], floats: [],
}));

lowering(['Conv'], (ctx) => {
  const w = ctx.inputs[1]!.shape.slice(2) as number[];
  const e = epilogue(ctx.attrs);
  const all = window(ctx, w);
  return { kernel: lowpKernel('conv', ctx.inputs[0]!.dtype), ints: [w.length, ctx.attrs.groups as number, e.code, ...all, ...residualFlag(ctx)], floats: e.floats };
});

// i8 / u8 codes (max only, src/ir/ops/conv.ts): poolI8, the one kernel that reads them.
lowering(['Pool'], (ctx) => {
  const kernel = ctx.attrs.kernel as number[];
  const all = window(ctx, kernel);
  const n = kernel.length;
  return {
    kernel: ['i8', 'u8'].includes(ctx.inputs[0]!.dtype) ? 'poolI8' : 'pool',
    ints: [n, POOL_MODE_CODES[ctx.attrs.mode as 'max' | 'avg'], flag(ctx.attrs.countIncludePad), ...kernel, ...all.slice(0, 3 * n)],
    floats: [],
  };
});

lowering(['MatMul'], (ctx) => {
  const { attrs, inputs } = ctx;
  const e = epilogue(attrs);
  return { kernel: lowpKernel('gemm', inputs[0]!.dtype), ints: [flag(attrs.transA), flag(attrs.transB), e.code, flag(inputs[2]), ...residualFlag(ctx)], floats: e.floats };
});

lowering(['Scale'], ({ attrs, inputs }) => ({
  kernel: 'scale',
  ints: [SCALE_MODE_CODES[attrs.mode as keyof typeof SCALE_MODE_CODES], normalizeAxis(attrs.channelAxis as number, inputs[0]!.shape.length) ?? 0],
  floats: [],
}));

lowering(['Softmax'], ({ attrs, inputs }) => ({ kernel: 'softmax', ints: [normalizeAxis(attrs.axis as number, inputs[0]!.shape.length)!], floats: [] }));
lowering(['Concat'], ({ attrs, inputs }) => ({ kernel: 'concat', ints: [normalizeAxis(attrs.axis as number, inputs[0]!.shape.length)!], floats: [] }));
lowering(['Transpose'], ({ attrs }) => ({ kernel: 'transpose', ints: [...(attrs.perm as number[])], floats: [] }));
lowering(['Reshape'], () => ({ kernel: 'copy', ints: [], floats: [] }));

