// The int8 layers of the NHWC regions that layout assignment makes (MobileNet's
// inverted residual blocks), made by the Quantize pass from MatMul and ConvNhwc:
//  - QMatMul: y[..., N] = x[..., K] * w[N, K]^T, an NHWC 1x1 conv as one GEMM over
//    all pixels, with an optional residual (i8 with its own scale, or f32) added
//    before the activation, so a block's skip connection stays int8.
//  - QConvNhwc: a depthwise conv (groups == C) on x [N,H,W,C] with weights [C,1,kh,kw].
// Both: i8 activations, per-output-channel i8 weights, exact i32 sums, then the
// epilogue of QConv (ops/quant.ts): acc * (xScale * wScale[c]) + bias [+ residual],
// the activation, f32 out or i8 requantized as round(v * f32(1 / outScale)).
import { WINDOW_ATTRS } from './conv.js';
import { defineOp, type InferContext } from '../op-registry.js';
import { formatType, type TensorType } from '../shape.js';
import { windowParams } from './conv.js';
import { INT8_LAYER_ATTRS as ATTRS, checkInt8Operands as checkOperands } from './quant.js';
import { windowOut } from './shape-rules.js';

const outDtype = (ctx: InferContext) => ((ctx.attrs.outScale as number) > 0 ? 'i8' : 'f32');

defineOp({
  name: 'QMatMul',
  group: 'matmul',
  inputs: [{ name: 'x' }, { name: 'w' }, { name: 'wScale' }, { name: 'b', optional: true }, { name: 'residual', optional: true }],
  attrs: {
    ...ATTRS,
    /** 0: the residual is f32; otherwise it is i8 with this scale. */
    residualScale: { kind: 'float', default: 0 },
  },
  infer: (ctx) => {
    const [x, w, wScale, b, r] = ctx.inputs as [TensorType, TensorType, TensorType, TensorType | undefined, TensorType | undefined];
    if (x.shape.length < 2 || w.shape.length !== 2 || typeof w.shape[0] !== 'number' || x.shape[x.shape.length - 1] !== w.shape[1]) {
      ctx.fail(`QMatMul needs x [...,K] and static w [N,K], got ${formatType(x)} and ${formatType(w)}`, { argument: 'w' });
    }
    const n = w.shape[0] as number;
    checkOperands(ctx, x, w, wScale, b, n);
    const y: TensorType = { dtype: outDtype(ctx), shape: [...x.shape.slice(0, -1), n] };
    if (r) {
      const want = (ctx.attrs.residualScale as number) > 0 ? 'i8' : 'f32';
      if (r.dtype !== want || formatType({ ...r, dtype: 'f32' }) !== formatType({ ...y, dtype: 'f32' })) {
        ctx.fail(`residual must be ${formatType({ ...y, dtype: want })} (residualScale ${String(ctx.attrs.residualScale)}), got ${formatType(r)}`, { argument: 'residual' });
      }
    }
    return [y];
  },
});

defineOp({
  name: 'QConvNhwc',
  group: 'conv',
  inputs: [{ name: 'x' }, { name: 'w' }, { name: 'wScale' }, { name: 'b', optional: true }],
  attrs: {
    ...WINDOW_ATTRS,
    ...ATTRS,
  },
  infer: (ctx) => {
    const [x, w, wScale, b] = ctx.inputs as [TensorType, TensorType, TensorType, TensorType | undefined];
    const c = x.shape[3];
    if (x.shape.length !== 4 || w.shape.length !== 4 || !x.shape.every((d) => typeof d === 'number') || w.shape[0] !== c || w.shape[1] !== 1) {
      ctx.fail(`QConvNhwc is depthwise: x [N,H,W,C] and w [C,1,kh,kw], got ${formatType(x)} and ${formatType(w)}`, { argument: 'w' });
    }
    checkOperands(ctx, x, w, wScale, b, c as number);
    const p = windowParams(ctx.attrs, w.shape.slice(2) as number[]);
    if (typeof p === 'string') return ctx.fail(p);
    const spatial = [1, 2].map((d, i) => windowOut(x.shape[d] as number, p.kernel[i]!, p.strides[i]!, p.padsBegin[i]!, p.padsEnd[i]!, p.dilations[i]!));
    if (spatial.some((o) => !(o > 0))) ctx.fail(`window ${w.shape[2]}x${w.shape[3]} does not fit input 'x' ${formatType(x)}`, { argument: 'x' });
    return [{ dtype: outDtype(ctx), shape: [x.shape[0]!, spatial[0]!, spatial[1]!, c!] }];
  },
});
