// The ConvTranspose kernel, written as the scatter that defines it: every input
// element adds x * w[tap] to output position i*stride + tap*dilation - padBegin,
// positions that fall outside the output (cropped by the pads) are dropped. Then
// bias and the fused activation. Accumulates in f64, rounds once at the output.
import { deconvParams, type Activation } from '../../ir/index.js';
import { activationFn } from '../activation-fns.js';
import { defineKernel, floatInput, floatOutput, optionalFloatInput, type KernelDef } from '../kernel.js';

type Triple = [number, number, number];

/** Lifts per-spatial-dim lists to 3-D (leading size-1 dims), as the Conv kernel does. */
function lift(v: readonly number[], fill: number): Triple {
  const p = [...new Array<number>(3 - v.length).fill(fill), ...v];
  return [p[0]!, p[1]!, p[2]!];
}

const convTranspose = defineKernel('ConvTranspose', (ctx) => {
  const [x, w] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const [xs, ws, bias] = [floatInput(ctx, 0), floatInput(ctx, 1), optionalFloatInput(ctx, 2)];
  const outShape = ctx.outputs[0]!.shape;
  const p = deconvParams(ctx.attrs, w.shape.slice(2));
  if (typeof p === 'string') return ctx.fail(p);
  const act = activationFn(ctx.attrs.activation as Activation, ctx.attrs.alpha as number, ctx.attrs.beta as number);
  const groups = ctx.attrs.groups as number;
  const [batch, cin] = [x.shape[0]!, x.shape[1]!];
  const coutPerGroup = w.shape[1]!;
  const cinPerGroup = cin / groups;
  const cout = coutPerGroup * groups;
  const [ID, IH, IW] = lift(x.shape.slice(2), 1);
  const [OD, OH, OW] = lift(outShape.slice(2), 1);
  const [KD, KH, KW] = lift(p.kernel, 1);
  const [SD, SH, SW] = lift(p.strides, 1);
  const [PD, PH, PW] = lift(p.padsBegin, 0);
  const [DD, DH, DW] = lift(p.dilations, 1);
  const outVol = OD * OH * OW;
  const out = new Float64Array(batch * cout * outVol);

  for (let n = 0; n < batch; n++) {
    for (let ic = 0; ic < cin; ic++) {
      const g = Math.floor(ic / cinPerGroup);
      for (let ocg = 0; ocg < coutPerGroup; ocg++) {
        const oBase = (n * cout + g * coutPerGroup + ocg) * outVol;
        const wBase = (ic * coutPerGroup + ocg) * KD * KH * KW;
        for (let id = 0; id < ID; id++) {
          for (let ih = 0; ih < IH; ih++) {
            for (let iw = 0; iw < IW; iw++) {
              const v = xs[(((n * cin + ic) * ID + id) * IH + ih) * IW + iw]!;
              for (let kd = 0; kd < KD; kd++) {
                const od = id * SD + kd * DD - PD;
                if (od < 0 || od >= OD) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const oh = ih * SH + kh * DH - PH;
                  if (oh < 0 || oh >= OH) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const ow = iw * SW + kw * DW - PW;
                    if (ow < 0 || ow >= OW) continue;
                    const o = oBase + (od * OH + oh) * OW + ow;
                    out[o] = out[o]! + v * ws[wBase + (kd * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < out.length; i++) {
    const c = Math.floor(i / outVol) % cout;
    out[i] = act(out[i]! + (bias ? bias[c]! : 0));
  }
  return [floatOutput(ctx, out)];
});

export const deconvKernels: readonly KernelDef[] = [convTranspose];
