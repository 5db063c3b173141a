// The Scale kernel (TensorRT's IScaleLayer): y = (x * scale + shift) ^ power, with
// each parameter shared by all elements (uniform), one per channel along channelAxis
// (channel), or one per element (elementwise). Absent parameters take their
// identities 0, 1, 1.
import { normalizeAxis } from '../../ir/index.js';
import { product } from '../indexing.js';
import { defineKernel, floatInput, floatOutput, optionalFloatInput, type KernelDef } from '../kernel.js';

const scale = defineKernel('Scale', (ctx) => {
  const x = ctx.inputs[0]!;
  const xs = floatInput(ctx, 0);
  const [shift, mul, power] = [optionalFloatInput(ctx, 1), optionalFloatInput(ctx, 2), optionalFloatInput(ctx, 3)];
  let param: (i: number) => number;
  if (ctx.attrs.mode === 'uniform') {
    param = () => 0;
  } else if (ctx.attrs.mode === 'channel') {
    const axis = normalizeAxis(ctx.attrs.channelAxis as number, x.shape.length)!;
    const inner = product(x.shape, axis + 1);
    const channels = x.shape[axis]!;
    param = (i) => Math.floor(i / inner) % channels;
  } else {
    param = (i) => i;
  }
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const k = param(i);
    const v = xs[i]! * (mul ? mul[k]! : 1) + (shift ? shift[k]! : 0);
    out[i] = power ? Math.pow(v, power[k]!) : v;
  }
  return [floatOutput(ctx, out)];
});

export const scaleKernels: readonly KernelDef[] = [scale];
