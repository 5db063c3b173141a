// Lowerings of the quantization ops: QuantizeLinear / DequantizeLinear to the
// quantize / dequantize kernels, QConv / QGemm to the int8 qconv / qgemm kernels
// and QMatMul / QConvNhwc to qmatmul / qconv-nhwc (layouts in native/PLAN_FORMAT.md, "int8 kernels").
import { normalizeAxis, windowParams } from '../../src/ir/index.js';
import { ACTIVATION_CODES, type ActivationName } from '../plan-desc.js';
import { lowering, type LowerContext } from './kernel-table.js';

const axisOf = ({ attrs, inputs }: LowerContext) => normalizeAxis(attrs.axis as number, inputs[0]!.shape.length) ?? 0;

lowering(['QuantizeLinear'], (ctx) => ({ kernel: 'quantize', ints: [axisOf(ctx)], floats: [] }));
lowering(['DequantizeLinear'], (ctx) => ({ kernel: 'dequantize', ints: [axisOf(ctx)], floats: [] }));

function int8Floats({ attrs }: LowerContext): number[] {
  return [attrs.alpha as number, attrs.beta as number, attrs.xScale as number, attrs.outScale as number];
}

lowering(['QConv'], (ctx) => {
  const w = windowParams(ctx.attrs, ctx.inputs[1]!.shape.slice(2) as number[]);
  if (typeof w === 'string') throw new Error(`layer '${ctx.node.name}': ${w}`);
  const act = ACTIVATION_CODES[ctx.attrs.activation as ActivationName];
  // nhwcOut and xQuantize (a stem's, passes/fuse-int8-stem-io.ts) as two optional ints: a plain QConv's layer is as before.
  const stemIO = ctx.attrs.nhwcOut === true || ctx.attrs.xQuantize === true ? [ctx.attrs.nhwcOut === true ? 1 : 0, ctx.attrs.xQuantize === true ? 1 : 0] : [];
  return { kernel: 'qconv', ints: [...w.strides, ...w.padsBegin, ...w.padsEnd, ...w.dilations, act, ctx.inputs[3] ? 1 : 0, ...stemIO], floats: int8Floats(ctx) };
});

lowering(['QGemm'], (ctx) => ({
  kernel: 'qgemm', ints: [ACTIVATION_CODES[ctx.attrs.activation as ActivationName], ctx.inputs[3] ? 1 : 0], floats: int8Floats(ctx),
}));

// The NHWC int8 layers (src/ir/ops/quant-nhwc.ts): the GEMM over pixels and the depthwise conv.
lowering(['QMatMul'], (ctx) => ({
  kernel: 'qmatmul',
  ints: [ACTIVATION_CODES[ctx.attrs.activation as ActivationName], ctx.inputs[3] ? 1 : 0, ctx.inputs[4] ? 1 : 0],
  floats: [...int8Floats(ctx), ctx.attrs.residualScale as number],
}));

lowering(['QConvNhwc'], (ctx) => {
  const w = windowParams(ctx.attrs, ctx.inputs[1]!.shape.slice(2) as number[]);
  if (typeof w === 'string') throw new Error(`layer '${ctx.node.name}': ${w}`);
  const act = ACTIVATION_CODES[ctx.attrs.activation as ActivationName];
  return { kernel: 'qconv-nhwc', ints: [...w.strides, ...w.padsBegin, ...w.padsEnd, ...w.dilations, act, ctx.inputs[3] ? 1 : 0], floats: int8Floats(ctx) };
});
