// The Conv kernel: direct convolution, N-d (1 to 3 spatial dims), grouped, with the
// optional bias and the fused epilogue (residual add of the output's shape, then the
// activation). Accumulates in f64 and rounds once at the output; padding taps are
// skipped, i.e. read as zero.
import { TO_NCHW, TO_NHWC, type Activation } from '../../ir/index.js';
import { activationFn } from '../activation-fns.js';
import { defineKernel, floatInput, floatOutput, getKernel, optionalFloatInput, type KernelContext, type KernelDef } from '../kernel.js';
import type { Tensor } from '../tensor.js';
import { inputCoord, window3d } from './window.js';

const conv = defineKernel('Conv', (ctx) => {
  const [x, w] = [ctx.inputs[0]!, ctx.inputs[1]!];
  const [xs, ws, bias, residual] = [floatInput(ctx, 0), floatInput(ctx, 1), optionalFloatInput(ctx, 2), optionalFloatInput(ctx, 3)];
  const outShape = ctx.outputs[0]!.shape;
  const win = window3d(ctx, x.shape, outShape, w.shape.slice(2));
  const act = activationFn(ctx.attrs.activation as Activation, ctx.attrs.alpha as number, ctx.attrs.beta as number);
  const groups = ctx.attrs.groups as number;
  const [batch, cin] = [x.shape[0]!, x.shape[1]!];
  const [cout, cinPerGroup] = [w.shape[0]!, w.shape[1]!];
  const coutPerGroup = cout / groups;
  const [ID, IH, IW] = win.input;
  const [OD, OH, OW] = win.output;
  const [KD, KH, KW] = win.kernel;
  const out = new Float64Array(batch * cout * OD * OH * OW);

  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let oc = 0; oc < cout; oc++) {
      // Output channel oc sees only the input channels of its group.
      const icBase = Math.floor(oc / coutPerGroup) * cinPerGroup;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let acc = bias ? bias[oc]! : 0;
            for (let icg = 0; icg < cinPerGroup; icg++) {
              const xChannel = (n * cin + icBase + icg) * ID;
              const wChannel = (oc * cinPerGroup + icg) * KD;
              for (let kd = 0; kd < KD; kd++) {
                const id = inputCoord(win, 0, od, kd);
                if (id < 0 || id >= ID) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = inputCoord(win, 1, oh, kh);
                  if (ih < 0 || ih >= IH) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = inputCoord(win, 2, ow, kw);
                    if (iw < 0 || iw >= IW) continue;
                    acc += xs[((xChannel + id) * IH + ih) * IW + iw]! * ws[((wChannel + kd) * KH + kh) * KW + kw]!;
                  }
                }
              }
            }
            out[o] = act(acc + (residual ? residual[o]! : 0));
            o++;
          }
        }
      }
    }
  }
  return [floatOutput(ctx, out)];
});

/** Runs op's kernel on `inputs` with `attrs`, writing one output of type `out`. */
const run = (op: string, ctx: KernelContext, inputs: (Tensor | undefined)[], attrs: KernelContext['attrs'], out: { dtype: Tensor['dtype']; shape: number[] }): Tensor =>
  getKernel(op)!.fn({ ...ctx, attrs, inputs, outputs: [out] })[0]!;

// ConvNhwc (layout assignment's conv on NHWC tensors) is defined as Conv between
// Transposes, so its kernel is exactly that: NHWC -> NCHW (x and the residual), Conv,
// NCHW -> NHWC.
const convNhwc = defineKernel('ConvNhwc', (ctx) => {
  const [x, w, b, residual] = ctx.inputs as [Tensor, Tensor, Tensor | undefined, Tensor | undefined];
  const y = ctx.outputs[0]!;
  const toNchw = (t: Tensor) => run('Transpose', ctx, [t], { perm: [...TO_NCHW] }, { dtype: t.dtype, shape: TO_NCHW.map((p) => t.shape[p]!) });
  const yt = run('Conv', ctx, [toNchw(x), w, b, ...(residual ? [toNchw(residual)] : [])], ctx.attrs, { dtype: y.dtype, shape: TO_NCHW.map((p) => y.shape[p]!) });
  return [run('Transpose', ctx, [yt], { perm: [...TO_NHWC] }, y)];
});

// PoolNhwc (a pool inside an NHWC region) is Pool between the same two Transposes.
const poolNhwc = defineKernel('PoolNhwc', (ctx) => {
  const x = ctx.inputs[0]!, y = ctx.outputs[0]!;
  const xt = run('Transpose', ctx, [x], { perm: [...TO_NCHW] }, { dtype: x.dtype, shape: TO_NCHW.map((p) => x.shape[p]!) });
  const yt = run('Pool', ctx, [xt], ctx.attrs, { dtype: y.dtype, shape: TO_NCHW.map((p) => y.shape[p]!) });
  return [run('Transpose', ctx, [yt], { perm: [...TO_NHWC] }, y)];
});

export const convKernels: readonly KernelDef[] = [conv, convNhwc, poolNhwc];
