// The Pool kernel: max or average over N-d windows. Max ignores padding entirely.
// Average divides by the real (non-pad) elements in the window, or with
// countIncludePad by every window position inside the padded input, as TensorRT does.
// A window lying wholly in the padding gives -Infinity (max) or 0 (average).
// On i8 or u8 codes (max only: Pool's inference refuses avg) the output has x's dtype
// and such a window gives the dtype's minimum (-128 or 0), max's identity.
import { defineKernel, floatInput, floatOutput, type KernelDef } from '../kernel.js';
import { inputCoord, window3d } from './window.js';

const pool = defineKernel('Pool', (ctx) => {
  const x = ctx.inputs[0]!;
  const codes = x.dtype === 'i8' || x.dtype === 'u8';
  const xs = codes ? x.data : floatInput(ctx, 0);
  const outShape = ctx.outputs[0]!.shape;
  const win = window3d(ctx, x.shape, outShape, ctx.attrs.kernel as number[]);
  const isMax = ctx.attrs.mode === 'max';
  const countPad = ctx.attrs.countIncludePad as boolean;
  const planes = x.shape[0]! * x.shape[1]!;
  const [ID, IH, IW] = win.input;
  const [OD, OH, OW] = win.output;
  const [KD, KH, KW] = win.kernel;
  // A tap counts toward countIncludePad's divisor when it lies within the padded extent.
  const inPadded = (c: number, d: 0 | 1 | 2) => c >= -win.padsBegin[d] && c < win.input[d] + win.padsEnd[d];
  const out = new Float64Array(planes * OD * OH * OW);

  let o = 0;
  for (let p = 0; p < planes; p++) {
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let max = -Infinity;
          let sum = 0;
          let real = 0;
          let padded = 0;
          for (let kd = 0; kd < KD; kd++) {
            const id = inputCoord(win, 0, od, kd);
            for (let kh = 0; kh < KH; kh++) {
              const ih = inputCoord(win, 1, oh, kh);
              for (let kw = 0; kw < KW; kw++) {
                const iw = inputCoord(win, 2, ow, kw);
                if (inPadded(id, 0) && inPadded(ih, 1) && inPadded(iw, 2)) padded++;
                if (id < 0 || id >= ID || ih < 0 || ih >= IH || iw < 0 || iw >= IW) continue;
                const v = xs[((p * ID + id) * IH + ih) * IW + iw] as number;
                max = Math.max(max, v);
                sum += v;
                real++;
              }
            }
          }
          // A window entirely in the padding has no elements to average: 0, not 0/0.
          out[o++] = isMax ? (codes && max === -Infinity ? (x.dtype === 'i8' ? -128 : 0) : max) : sum / Math.max(1, countPad ? padded : real);
        }
      }
    }
  }
  if (codes) return [{ dtype: x.dtype, shape: [...ctx.outputs[0]!.shape], data: x.dtype === 'i8' ? Int8Array.from(out) : Uint8Array.from(out) }];
  return [floatOutput(ctx, out)];
});

export const poolKernels: readonly KernelDef[] = [pool];
