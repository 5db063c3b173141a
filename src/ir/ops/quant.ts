// Quantization ops. QuantizeLinear / DequantizeLinear follow ONNX: y = saturate(
// round_half_even(x / scale) + zeroPoint), x = (q - zeroPoint) * scale, with a scalar
// (per-tensor) or 1-d (per-axis) scale. QConv and QGemm are the int8 layers the
// Quantize pass makes: i8 activations times i8 weights with i32 accumulation, then an
// epilogue that dequantizes (xScale * wScale[channel]), adds the f32 bias, applies
// the activation, and either outputs f32 or requantizes to i8 by outScale. A stem
// QConv (passes/fuse-stem-io.ts) may also take f32 x, quantized by xScale as
// QuantizeLinear would (xQuantize), and write its output NHWC (nhwcOut).
import { defineOp, type InferContext } from '../op-registry.js';
import { formatType, type TensorType } from '../shape.js';
import { EPILOGUE_ATTRS } from './activation.js';
import { windowOut, windowOutDim } from './shape-rules.js';
import { WINDOW_ATTRS, windowParams } from './conv.js';

/** The scale (and zero point) must be a scalar or hold one value per entry of the axis. */
function checkScale(ctx: InferContext, x: TensorType, scale: TensorType, zp: TensorType | undefined): void {
  if (scale.dtype !== 'f32') ctx.fail(`scale must be f32, got ${formatType(scale)}`, { argument: 'scale' });
  const count = scale.shape.reduce<number>((a, d) => a * (typeof d === 'number' ? d : NaN), 1);
  if (count !== 1) {
    const axis = ctx.attrs.axis as number;
    const a = axis < 0 ? axis + x.shape.length : axis;
    if (scale.shape.length !== 1 || x.shape[a] !== scale.shape[0]) ctx.fail(`a per-axis scale must be f32[${String(x.shape[a])}] (axis ${axis} of ${formatType(x)}), got ${formatType(scale)}`, { argument: 'scale' });
  }
  if (zp && formatType({ dtype: 'f32', shape: zp.shape }) !== formatType({ dtype: 'f32', shape: scale.shape })) ctx.fail(`zeroPoint ${formatType(zp)} must have the scale's shape ${formatType(scale)}`, { argument: 'zeroPoint' });
}

defineOp({
  name: 'QuantizeLinear',
  group: 'elementwise',
  inputs: [{ name: 'x' }, { name: 'scale' }, { name: 'zeroPoint', optional: true }],
  attrs: { axis: { kind: 'int', default: 1 }, dtype: { kind: 'string', default: 'i8', oneOf: ['i8', 'u8'] } },
  infer: (ctx) => {
    const [x, scale, zp] = ctx.inputs as [TensorType, TensorType, TensorType | undefined];
    if (x.dtype !== 'f32') ctx.fail(`input 'x' must be f32, got ${formatType(x)}`, { argument: 'x' });
    checkScale(ctx, x, scale, zp);
    const dtype = zp ? zp.dtype : (ctx.attrs.dtype as 'i8' | 'u8');
    if (dtype !== 'i8' && dtype !== 'u8') ctx.fail(`zeroPoint must be i8 or u8, got ${formatType(zp!)}`, { argument: 'zeroPoint' });
    return [{ dtype, shape: x.shape }];
  },
});

defineOp({
  name: 'DequantizeLinear',
  group: 'elementwise',
  inputs: [{ name: 'x' }, { name: 'scale' }, { name: 'zeroPoint', optional: true }],
  attrs: { axis: { kind: 'int', default: 1 } },
  infer: (ctx) => {
    const [x, scale, zp] = ctx.inputs as [TensorType, TensorType, TensorType | undefined];
    if (x.dtype !== 'i8' && x.dtype !== 'u8' && x.dtype !== 'i32') ctx.fail(`input 'x' must be i8, u8 or i32, got ${formatType(x)}`, { argument: 'x' });
    if (zp && zp.dtype !== x.dtype) ctx.fail(`zeroPoint ${formatType(zp)} must have the dtype of 'x' ${formatType(x)}`, { argument: 'zeroPoint' });
    checkScale(ctx, x, scale, zp);
    return [{ dtype: 'f32', shape: x.shape }];
  },
});

export const INT8_LAYER_ATTRS = {
  /** The per-tensor scale of the i8 input. */
  xScale: { kind: 'float' },
  /** 0: output f32; otherwise requantize the output to i8 with this scale. */
  outScale: { kind: 'float', default: 0 },
  ...EPILOGUE_ATTRS,
} as const;

/** The i8 operands and the f32 per-output-channel weight scales and bias of QConv / QGemm. */
export function checkInt8Operands(ctx: InferContext, x: TensorType, w: TensorType, wScale: TensorType, b: TensorType | undefined, cout: number): void {
  if (x.dtype !== 'i8') ctx.fail(`input 'x' must be i8, got ${formatType(x)}`, { argument: 'x' });
  if (w.dtype !== 'i8') ctx.fail(`weights 'w' must be i8, got ${formatType(w)}`, { argument: 'w' });
  if (wScale.dtype !== 'f32' || wScale.shape.length !== 1 || wScale.shape[0] !== cout) ctx.fail(`weight scales must be f32[${cout}], got ${formatType(wScale)}`, { argument: 'wScale' });
  if (b && (b.dtype !== 'f32' || b.shape.length !== 1 || b.shape[0] !== cout)) ctx.fail(`bias 'b' must be f32[${cout}], got ${formatType(b)}`, { argument: 'b' });
  if (!((ctx.attrs.xScale as number) > 0)) ctx.fail(`xScale must be > 0, got ${String(ctx.attrs.xScale)}`, { argument: 'xScale' });
}

defineOp({
  name: 'QConv',
  group: 'conv',
  inputs: [{ name: 'x' }, { name: 'w' }, { name: 'wScale' }, { name: 'b', optional: true }],
  attrs: {
    ...WINDOW_ATTRS,
    ...INT8_LAYER_ATTRS,
    /** x is f32, quantized by xScale as QuantizeLinear (zero point 0, i8) would before the conv. */
    xQuantize: { kind: 'bool', default: false },
    /** The output is [N, OH, OW, Cout] (NHWC) rather than [N, Cout, OH, OW]. */
    nhwcOut: { kind: 'bool', default: false },
  },
  infer: (ctx) => {
    const [x, w, wScale, b] = ctx.inputs as [TensorType, TensorType, TensorType, TensorType | undefined];
    if (x.shape.length !== 4 || w.shape.length !== 4 || !w.shape.every((d) => typeof d === 'number')) ctx.fail(`QConv is 2-d: x [N,C,H,W] and static w [Cout,C,kh,kw], got ${formatType(x)} and ${formatType(w)}`, { argument: 'x' });
    const [cout, cin, kh, kw] = w.shape as number[];
    if (x.shape[1] !== cin) ctx.fail(`weights 'w' ${formatType(w)} expect ${cin} input channels, input 'x' ${formatType(x)} has ${String(x.shape[1])}`, { argument: 'w' });
    if (ctx.attrs.xQuantize === true && x.dtype !== 'f32') ctx.fail(`input 'x' must be f32 (xQuantize), got ${formatType(x)}`, { argument: 'x' });
    checkInt8Operands(ctx, ctx.attrs.xQuantize === true ? { ...x, dtype: 'i8' } : x, w, wScale, b, cout!);
    const p = windowParams(ctx.attrs, [kh!, kw!]);
    if (typeof p === 'string') return ctx.fail(p);
    const spatial = [2, 3].map((d, i) => {
      const size = x.shape[d];
      if (typeof size !== 'number') return windowOutDim(size!, p.kernel[i]!, p.strides[i]!, p.padsBegin[i]!, p.padsEnd[i]!, p.dilations[i]!, ctx.need);
      const o = windowOut(size, p.kernel[i]!, p.strides[i]!, p.padsBegin[i]!, p.padsEnd[i]!, p.dilations[i]!);
      if (Number.isNaN(o)) ctx.fail(`window ${kh}x${kw} does not fit input 'x' ${formatType(x)}`, { argument: 'x' });
      return o;
    });
    const shape = ctx.attrs.nhwcOut === true ? [x.shape[0]!, ...spatial, cout!] : [x.shape[0]!, cout!, ...spatial];
    return [{ dtype: (ctx.attrs.outScale as number) > 0 ? 'i8' : 'f32', shape }];
  },
});

defineOp({
  name: 'QGemm',
  group: 'matmul',
  inputs: [{ name: 'x' }, { name: 'w' }, { name: 'wScale' }, { name: 'b', optional: true }],
  attrs: INT8_LAYER_ATTRS,
  infer: (ctx) => {
    // y[M, N] = x[M, K] * w[N, K]^T: the fully connected layer's layout.
    const [x, w, wScale, b] = ctx.inputs as [TensorType, TensorType, TensorType, TensorType | undefined];
    if (x.shape.length !== 2 || w.shape.length !== 2 || typeof w.shape[0] !== 'number' || x.shape[1] !== w.shape[1]) ctx.fail(`QGemm needs x [M,K] and static w [N,K], got ${formatType(x)} and ${formatType(w)}`, { argument: 'w' });
    checkInt8Operands(ctx, x, w, wScale, b, w.shape[0] as number);
    return [{ dtype: (ctx.attrs.outScale as number) > 0 ? 'i8' : 'f32', shape: [x.shape[0]!, w.shape[0]!] }];
  },
});
