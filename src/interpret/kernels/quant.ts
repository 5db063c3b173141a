// Quantization kernels: the exact integer simulation the native int8 kernels are
// tested against. Accumulation is exact in i32 (plain integers here); every float
// step is rounded to f32 in the order the native epilogue computes it (f32 acc times
// the f32 product of the scales, plus bias, activation, then x / scale rounded half to
// even), so engine and interpreter agree bit for bit up to FMA contraction.
import type { Activation } from '../../ir/index.js';
import { activationFn } from '../activation-fns.js';
import { defineKernel, type KernelContext, type KernelDef } from '../kernel.js';
import type { Tensor } from '../tensor.js';
import { window3d } from './window.js';

const f = Math.fround;

export function roundHalfEven(v: number): number {
  const lo = Math.floor(v);
  const d = v - lo;
  return d < 0.5 ? lo : d > 0.5 ? lo + 1 : lo % 2 === 0 ? lo : lo + 1;
}

/** f32 x -> integer code: round(x / scale) + zp, saturated to [lo, hi]. */
export function quantizeValue(x: number, scale: number, zp: number, lo: number, hi: number): number {
  const q = roundHalfEven(f(x / scale)) + zp;
  return q < lo ? lo : q > hi ? hi : q;
}

/** Which scale (and zero point) element serves flat index i: 0 per tensor, else the axis coordinate. */
function channelOf(ctx: KernelContext, x: Tensor, per: number): (i: number) => number {
  if (per === 1) return () => 0;
  const rank = x.shape.length;
  const raw = ctx.attrs.axis as number;
  const axis = raw < 0 ? raw + rank : raw;
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const size = x.shape[axis]!;
  return (i) => Math.floor(i / inner) % size;
}

const quantize = defineKernel('QuantizeLinear', (ctx) => {
  const [x, scale, zp] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2]];
  const { dtype, shape } = ctx.outputs[0]!;
  const [lo, hi] = dtype === 'u8' ? [0, 255] : [-128, 127];
  const at = channelOf(ctx, x, scale.data.length);
  const out = dtype === 'u8' ? new Uint8Array(x.data.length) : new Int8Array(x.data.length);
  const xs = x.data as Float32Array;
  for (let i = 0; i < xs.length; i++) {
    const c = at(i);
    out[i] = quantizeValue(xs[i]!, scale.data[c] as number, zp ? (zp.data[c] as number) : 0, lo, hi);
  }
  return [{ dtype, shape: [...shape], data: out }];
});

const dequantize = defineKernel('DequantizeLinear', (ctx) => {
  const [x, scale, zp] = [ctx.inputs[0]!, ctx.inputs[1]!, ctx.inputs[2]];
  const at = channelOf(ctx, x, scale.data.length);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const c = at(i);
    out[i] = ((x.data[i] as number) - (zp ? (zp.data[c] as number) : 0)) * (scale.data[c] as number);
  }
  return [{ dtype: 'f32', shape: [...ctx.outputs[0]!.shape], data: out }];
});

/** The int8 layers' epilogue over acc[c * inner + j] (channel c), into f32 or requantized i8. */
function int8Epilogue(ctx: KernelContext, acc: Int32Array | number[], channels: number, inner: number, channelStride: number, jStride: number): Tensor {
  const wScale = ctx.inputs[2]!.data as Float32Array;
  const bias = ctx.inputs[3]?.data as Float32Array | undefined;
  const xScale = f(ctx.attrs.xScale as number);
  const outScale = f(ctx.attrs.outScale as number);
  const act = activationFn(ctx.attrs.activation as Activation, ctx.attrs.alpha as number, ctx.attrs.beta as number);
  const { dtype, shape } = ctx.outputs[0]!;
  const out = dtype === 'i8' ? new Int8Array(acc.length) : new Float32Array(acc.length);
  const outer = acc.length / (channels * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const m = f(xScale * wScale[c]!);
      for (let j = 0; j < inner; j++) {
        const i = o * channels * inner + c * channelStride + j * jStride;
        let v = f(f(acc[i]!) * m);
        if (bias) v = f(v + bias[c]!);
        v = f(act(v));
        out[i] = dtype === 'i8' ? quantizeValue(v, outScale, 0, -128, 127) : v;
      }
    }
  }
  return { dtype, shape: [...shape], data: out };
}

// xQuantize: x arrives f32 and is quantized first, exactly as QuantizeLinear(xScale)
// would; nhwcOut: the sums are laid out [n][oh][ow][c] and the epilogue steps
// channels by 1 and pixels by cout.
const qconv = defineKernel('QConv', (ctx) => {
  const [x, w] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const xScale = f(ctx.attrs.xScale as number);
  const xs = ctx.attrs.xQuantize === true ? Int8Array.from(x.data as Float32Array, (v) => quantizeValue(v, xScale, 0, -128, 127)) : x.data as Int8Array;
  const ws = w.data as Int8Array;
  const nhwc = ctx.attrs.nhwcOut === true;
  const outShape = ctx.outputs[0]!.shape;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [cout, , KH, KW] = w.shape as [number, number, number, number];
  const [OH, OW] = nhwc ? [outShape[1]!, outShape[2]!] : [outShape[2]!, outShape[3]!];
  const win = window3d(ctx, x.shape, [N, cout, OH, OW], w.shape.slice(2));
  const acc = new Int32Array(N * cout * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let oc = 0; oc < cout; oc++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = 0;
          for (let ic = 0; ic < C; ic++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * win.strides[1] - win.padsBegin[1] + kh * win.dilations[1];
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * win.strides[2] - win.padsBegin[2] + kw * win.dilations[2];
                if (iw < 0 || iw >= W) continue;
                s += xs[((n * C + ic) * H + ih) * W + iw]! * ws[((oc * C + ic) * KH + kh) * KW + kw]!;
              }
            }
          }
          acc[nhwc ? ((n * OH + oh) * OW + ow) * cout + oc : ((n * cout + oc) * OH + oh) * OW + ow] = s;
        }
      }
    }
  }
  return [nhwc ? int8Epilogue(ctx, acc, cout, OH * OW, 1, cout) : int8Epilogue(ctx, acc, cout, OH * OW, OH * OW, 1)];
});

const qgemm = defineKernel('QGemm', (ctx) => {
  const [x, w] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const xs = x.data as Int8Array;
  const ws = w.data as Int8Array;
  const [M, K] = x.shape as [number, number];
  const N = w.shape[0]!;
  const acc = new Int32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += xs[m * K + k]! * ws[n * K + k]!;
      acc[m * N + n] = s;
    }
  }
  // Channel n of row m sits at m*N + n: channels step by 1, one element each.
  return [int8Epilogue(ctx, acc, N, 1, 1, 1)];
});

export const quantKernels: readonly KernelDef[] = [quantize, dequantize, qconv, qgemm];
