// Convolution and pooling: N-d sliding windows over [N, C, spatial...] tensors.
// Any dim may be symbolic but the weights: a symbolic spatial dim `h` gives
// `floor((h+pads-span)/stride)+1`, needing the padded input to hold the window.
import { defineOp, type AttrSpec, type InferContext } from '../op-registry.js';
import { formatType, type Dim, type TensorType } from '../shape.js';
import { EPILOGUE_ATTRS } from './activation.js';
import { dimsEqual } from '../dim-expr.js';
import { DTYPE_INFO } from '../dtype.js';
import { spatialList, windowOut, windowOutDim, type WindowParams } from './shape-rules.js';

/** Resolves the window attributes of a conv or pool node for `n` spatial dims. */
export function windowParams(attrs: InferContext['attrs'], kernel: readonly number[]): WindowParams | string {
  const n = kernel.length;
  const strides = spatialList(attrs.strides as number[], n, 1);
  const padsBegin = spatialList(attrs.padsBegin as number[], n, 0);
  const padsEnd = spatialList(attrs.padsEnd as number[], n, 0);
  const dilations = spatialList((attrs.dilations as number[] | undefined) ?? [], n, 1);
  if (!strides) return `'strides' needs ${n} values, got [${String(attrs.strides)}]`;
  if (!padsBegin) return `'padsBegin' needs ${n} values, got [${String(attrs.padsBegin)}]`;
  if (!padsEnd) return `'padsEnd' needs ${n} values, got [${String(attrs.padsEnd)}]`;
  if (!dilations) return `'dilations' needs ${n} values, got [${String(attrs.dilations)}]`;
  if (strides.some((s) => s < 1) || dilations.some((d) => d < 1)) return `strides and dilations must be >= 1`;
  if ([...padsBegin, ...padsEnd].some((p) => p < 0)) return `padding must be >= 0`;
  return { kernel: [...kernel], strides, padsBegin, padsEnd, dilations };
}

function windowOutput(ctx: InferContext, x: TensorType, channels: Dim, kernel: readonly number[]): TensorType {
  const w = windowParams(ctx.attrs, kernel);
  if (typeof w === 'string') return ctx.fail(w);
  const spatial = x.shape.slice(2).map((d, i) => {
    if (typeof d !== 'number') return windowOutDim(d, w.kernel[i]!, w.strides[i]!, w.padsBegin[i]!, w.padsEnd[i]!, w.dilations[i]!, ctx.need);
    const o = windowOut(d, w.kernel[i]!, w.strides[i]!, w.padsBegin[i]!, w.padsEnd[i]!, w.dilations[i]!);
    if (Number.isNaN(o)) ctx.fail(`window ${w.kernel.join('x')} (dilation ${w.dilations.join('x')}) does not fit input 'x' ${formatType(x)} with padding [${w.padsBegin}]+[${w.padsEnd}]`, { argument: 'x', received: formatType(x) });
    return o;
  });
  return { dtype: x.dtype, shape: [x.shape[0]!, channels, ...spatial] };
}

/** A fused residual input (at `index`) must have the output's exact type: the epilogue adds it element by element. */
export function checkResidual(ctx: InferContext, out: TensorType, index: number): TensorType {
  const r = ctx.inputs[index];
  if (r && (r.dtype !== out.dtype || r.shape.length !== out.shape.length || r.shape.some((d, i) => dimsEqual(d, out.shape[i]!) !== true))) {
    ctx.fail(`residual must have the output's type ${formatType(out)}, got ${formatType(r)}`, { argument: 'residual', expected: formatType(out), received: formatType(r) });
  }
  return out;
}

/** The window attributes Conv and ConvTranspose share (empty = all 1 / all 0). */
export const WINDOW_ATTRS = {
  strides: { kind: 'ints', default: [] },
  padsBegin: { kind: 'ints', default: [] },
  padsEnd: { kind: 'ints', default: [] },
  dilations: { kind: 'ints', default: [] },
} as const satisfies Record<string, AttrSpec>;

/**
 * The operands of a conv-like layer: x of rank 3 to 5 and static weights of the same
 * rank; `layout` names the weights' two leading dims in the message.
 */
export function convOperands(ctx: InferContext, layout: string): [TensorType, TensorType, TensorType | undefined] {
  const [x, w, b] = ctx.inputs as [TensorType, TensorType, TensorType | undefined];
  const n = x.shape.length - 2;
  if (n < 1 || n > 3) ctx.fail(`input 'x' must be [N,C,spatial...] with 1 to 3 spatial dims, got ${formatType(x)}`, { argument: 'x', received: formatType(x) });
  if (w.shape.length !== n + 2 || !w.shape.every((d) => typeof d === 'number')) {
    ctx.fail(`weights 'w' must be static [${layout},${'k,'.repeat(n).slice(0, -1)}], got ${formatType(w)}`, { argument: 'w', received: formatType(w) });
  }
  return [x, w, b];
}

const conv = defineOp({
  name: 'Conv',
  group: 'conv',
  // residual: the fused epilogue's skip connection, y = act(conv(x) + b + residual).
  inputs: [{ name: 'x' }, { name: 'w' }, { name: 'b', optional: true }, { name: 'residual', optional: true }],
  attrs: { ...WINDOW_ATTRS, groups: { kind: 'int', default: 1 }, ...EPILOGUE_ATTRS },
  infer: (ctx) => {
    const [x, w, b] = convOperands(ctx, 'Cout,Cin/groups');
    const groups = ctx.attrs.groups as number;
    const [cout, cinPerGroup] = w.shape as number[];
    const cin = x.shape[1]!;
    if (groups < 1 || cout! % groups !== 0) ctx.fail(`groups ${groups} must divide the ${cout} output channels`, { argument: 'groups' });
    if (typeof cin === 'number' && cin !== cinPerGroup! * groups) {
      ctx.fail(`weights 'w' ${formatType(w)} expect ${cinPerGroup! * groups} input channels (groups ${groups}), input 'x' ${formatType(x)} has ${cin}`, { argument: 'w', expected: `${cinPerGroup! * groups} channels`, received: `${cin}` });
    }
    if (typeof cin === 'string') ctx.need('eq', cin, cinPerGroup! * groups, `${cin} == ${cinPerGroup! * groups} (input channels of weights ${formatType(w)})`);
    if (x.dtype !== w.dtype) ctx.fail(`weights 'w' dtype ${w.dtype} differs from input 'x' ${x.dtype}`, { argument: 'w' });
    if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) ctx.fail(`bias 'b' must be ${x.dtype}[${cout}], got ${formatType(b)}`, { argument: 'b', expected: `${x.dtype}[${cout}]`, received: formatType(b) });
    return [checkResidual(ctx, windowOutput(ctx, x, cout!, (w.shape as number[]).slice(2)), 3)];
  },
});

/** The permutations between NCHW and NHWC (a 4-d tensor's axes in the other order). */
export const TO_NHWC = [0, 2, 3, 1] as const;
export const TO_NCHW = [0, 3, 1, 2] as const;

const permuted = (t: TensorType, perm: readonly number[]): TensorType => ({ dtype: t.dtype, shape: perm.map((p) => t.shape[p]!) });

// ConvNhwc, made only by layout assignment (passes/assign-layout.ts): a Conv on an
// NHWC input that writes an NHWC output, 2 spatial dims, either depthwise (groups ==
// C == Cout, the CPU's MobileNet blocks) or with groups 1 (the CUDA layout, where a
// pixel's channels are one 16-byte load). It means exactly
// Transpose(Conv(Transpose(x, TO_NCHW), w, b, Transpose(residual, TO_NCHW)), TO_NHWC)
// with Conv's attributes and weights ([Cout,Cin/groups,kh,kw]), so its shape
// inference is Conv's on the permuted types and the oracle of every layout test is the
// Conv the layer replaced. The residual, like the output, is NHWC.
defineOp({
  name: 'ConvNhwc',
  group: 'conv',
  inputs: [{ name: 'x' }, { name: 'w' }, { name: 'b', optional: true }, { name: 'residual', optional: true }],
  attrs: conv.attrs,
  infer: (ctx) => {
    const [x, w, b, residual] = ctx.inputs as [TensorType, TensorType, TensorType | undefined, TensorType | undefined];
    if (x.shape.length !== 4) ctx.fail(`input 'x' must be NHWC [N,H,W,C], got ${formatType(x)}`, { argument: 'x', received: formatType(x) });
    const channels = x.shape[3];
    const depthwise = typeof channels === 'number' && ctx.attrs.groups === channels && w.shape[0] === channels && w.shape[1] === 1;
    if (ctx.attrs.groups !== 1 && !depthwise) {
      ctx.fail(`ConvNhwc is depthwise or has groups 1: groups ${String(ctx.attrs.groups)} and weights 'w' ${formatType(w)} must match the ${String(channels)} channels of input 'x' ${formatType(x)} ([C,1,kh,kw])`, { argument: 'w', received: formatType(w) });
    }
    if (residual && residual.shape.length !== 4) ctx.fail(`residual must be NHWC [N,H,W,C], got ${formatType(residual)}`, { argument: 'residual', received: formatType(residual) });
    const inputs = [permuted(x, TO_NCHW), w, b, ...(residual ? [permuted(residual, TO_NCHW)] : [])];
    const [y] = conv.infer({ ...ctx, inputs });
    return [permuted(y!, TO_NHWC)];
  },
});

const pool = defineOp({
  name: 'Pool',
  group: 'pool',
  inputs: [{ name: 'x' }],
  attrs: {
    mode: { kind: 'string', oneOf: ['max', 'avg'] },
    kernel: { kind: 'ints' },
    strides: { kind: 'ints', default: [] },
    padsBegin: { kind: 'ints', default: [] },
    padsEnd: { kind: 'ints', default: [] },
    countIncludePad: { kind: 'bool', default: false },
  },
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    const kernel = ctx.attrs.kernel as number[];
    if (x.shape.length - 2 !== kernel.length || kernel.length < 1 || kernel.length > 3) {
      ctx.fail(`kernel ${kernel.join('x') || '[]'} needs input 'x' of rank ${kernel.length + 2} ([N,C,spatial...]), got ${formatType(x)}`, { argument: 'x', received: formatType(x) });
    }
    if (kernel.some((k) => k < 1)) ctx.fail(`kernel sizes must be >= 1, got [${kernel}]`, { argument: 'kernel' });
    // 8-bit codes of one per-tensor scale (positive; u8 with its zero point): the max of
    // codes is the code of the max, so a max pool runs on codes; their average is not the
    // code of the average.
    const codes = x.dtype === 'i8' || x.dtype === 'u8';
    if (codes && ctx.attrs.mode !== 'max') {
      ctx.fail(`mode '${String(ctx.attrs.mode)}' does not run on ${x.dtype} codes (an average of codes is not exact); input 'x' ${formatType(x)} takes mode 'max' only`, { argument: 'x', expected: "mode 'max'", received: formatType(x) });
    }
    if (!DTYPE_INFO[x.dtype].float && !codes) {
      ctx.fail(`input 'x' must be f32, f16, bf16, or i8 / u8 codes (mode 'max'), got ${formatType(x)}`, { argument: 'x', received: formatType(x) });
    }
    return [windowOutput(ctx, x, x.shape[1]!, kernel)];
  },
});

// PoolNhwc, made only by layout assignment: a 2-D Pool on an NHWC input that writes an
// NHWC output (a pool inside an NHWC region, MobileNet's or ResNet's global average after
// the last conv). It means exactly Transpose(Pool(Transpose(x, TO_NCHW)), TO_NHWC) with
// Pool's attributes, so its inference is Pool's on the permuted type.
defineOp({
  name: 'PoolNhwc',
  group: 'pool',
  inputs: [{ name: 'x' }],
  attrs: pool.attrs,
  infer: (ctx) => {
    const x = ctx.inputs[0]!;
    if (x.shape.length !== 4 || (ctx.attrs.kernel as number[]).length !== 2) {
      ctx.fail(`PoolNhwc needs a 2-D window on an NHWC input [N,H,W,C], got kernel [${String(ctx.attrs.kernel)}] and ${formatType(x)}`, { argument: 'x', received: formatType(x) });
    }
    const [y] = pool.infer({ ...ctx, inputs: [permuted(x, TO_NCHW)] });
    return [permuted(y!, TO_NHWC)];
  },
});
