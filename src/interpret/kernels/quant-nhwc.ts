// The oracle of the NHWC int8 layers (QMatMul, QConvNhwc; src/ir/ops/quant-nhwc.ts):
// exact integer sums, then every float step rounded to f32 in the native epilogue's
// order: f32(acc) * f32(xScale * wScale[c]), + bias, + residual (an i8 residual as
// f32(r * residualScale)), the activation, then f32 out or round-half-even(v * f32(1 /
// outScale)) saturated to i8: a multiply, where QConv divides, since a vector divide
// costs as much as the rest of the epilogue.
import type { Activation } from '../../ir/index.js';
import { activationFn } from '../activation-fns.js';
import { defineKernel, type KernelContext, type KernelDef } from '../kernel.js';
import type { Tensor } from '../tensor.js';
import { quantizeValue } from './quant.js';
import { window3d } from './window.js';

const f = Math.fround;

/** acc[p * channels + c] (channels innermost, as NHWC) -> the output tensor; `residual` the same layout. */
function epilogueNhwc(ctx: KernelContext, acc: Int32Array, channels: number, residual?: Tensor): Tensor {
  const wScale = ctx.inputs[2]!.data as Float32Array;
  const bias = ctx.inputs[3]?.data as Float32Array | undefined;
  const m = Array.from(wScale, (s) => f(f(ctx.attrs.xScale as number) * s));
  const outScale = f(ctx.attrs.outScale as number);
  const inv = outScale > 0 ? f(1 / outScale) : 0;
  const rScale = f((ctx.attrs.residualScale as number | undefined) ?? 0);
  const act = activationFn(ctx.attrs.activation as Activation, ctx.attrs.alpha as number, ctx.attrs.beta as number);
  const { dtype, shape } = ctx.outputs[0]!;
  const out = dtype === 'i8' ? new Int8Array(acc.length) : new Float32Array(acc.length);
  for (let i = 0; i < acc.length; i++) {
    const c = i % channels;
    let v = f(f(acc[i]!) * m[c]!);
    if (bias) v = f(v + bias[c]!);
    if (residual) v = f(v + (residual.dtype === 'i8' ? f((residual.data[i] as number) * rScale) : (residual.data[i] as number)));
    v = f(act(v));
    out[i] = dtype === 'i8' ? quantizeValue(f(v * inv), 1, 0, -128, 127) : v;
  }
  return { dtype, shape: [...shape], data: out };
}

const qmatmul = defineKernel('QMatMul', (ctx) => {
  const xs = ctx.inputs[0]!.data as Int8Array;
  const ws = ctx.inputs[1]!.data as Int8Array;
  const [n, k] = ctx.inputs[1]!.shape as [number, number];
  const rows = xs.length / k;
  const acc = new Int32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < n; c++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += xs[r * k + i]! * ws[c * k + i]!;
      acc[r * n + c] = s;
    }
  }
  return [epilogueNhwc(ctx, acc, n, ctx.inputs[4])];
});

const qconvNhwc = defineKernel('QConvNhwc', (ctx) => {
  const x = ctx.inputs[0]!;
  const xs = x.data as Int8Array;
  const ws = ctx.inputs[1]!.data as Int8Array;
  const [N, H, W, C] = x.shape as [number, number, number, number];
  const [KH, KW] = ctx.inputs[1]!.shape.slice(2) as [number, number];
  const [, OH, OW] = ctx.outputs[0]!.shape as [number, number, number, number];
  // window3d reads [N,C,H,W]-ordered shapes: hand it the spatial extents in that order.
  const win = window3d(ctx, [N, C, H, W], [N, C, OH, OW], [KH, KW]);
  const acc = new Int32Array(N * OH * OW * C);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let kh = 0; kh < KH; kh++) {
            const ih = oh * win.strides[1] - win.padsBegin[1] + kh * win.dilations[1];
            if (ih < 0 || ih >= H) continue;
            for (let kw = 0; kw < KW; kw++) {
              const iw = ow * win.strides[2] - win.padsBegin[2] + kw * win.dilations[2];
              if (iw < 0 || iw >= W) continue;
              s += xs[((n * H + ih) * W + iw) * C + c]! * ws[(c * KH + kh) * KW + kw]!;
            }
          }
          acc[((n * OH + oh) * OW + ow) * C + c] = s;
        }
      }
    }
  }
  return [epilogueNhwc(ctx, acc, C)];
});

export const quantNhwcKernels: readonly KernelDef[] = [qmatmul, qconvNhwc];
