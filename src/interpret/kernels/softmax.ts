// The Softmax kernel along one (possibly negative) axis. Subtracting each slice's
// max before exp is the standard guard against overflow; it does not change the result.
import { normalizeAxis } from '../../ir/index.js';
import { product } from '../indexing.js';
import { defineKernel, floatInput, floatOutput, type KernelDef } from '../kernel.js';

const softmax = defineKernel('Softmax', (ctx) => {
  const x = ctx.inputs[0]!;
  const xs = floatInput(ctx, 0);
  const axis = normalizeAxis(ctx.attrs.axis as number, x.shape.length)!;
  const outer = product(x.shape, 0, axis);
  const len = x.shape[axis]!;
  const inner = product(x.shape, axis + 1);
  const out = new Float64Array(xs.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      // The slice's elements sit `inner` apart.
      const at = (k: number) => (o * len + k) * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, xs[at(k)]!);
      let sum = 0;
      for (let k = 0; k < len; k++) {
        out[at(k)] = Math.exp(xs[at(k)]! - max);
        sum += out[at(k)]!;
      }
      for (let k = 0; k < len; k++) out[at(k)] = out[at(k)]! / sum;
    }
  }
  return [floatOutput(ctx, out)];
});

export const softmaxKernels: readonly KernelDef[] = [softmax];
