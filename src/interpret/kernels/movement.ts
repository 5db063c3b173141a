// Data movement kernels: Reshape, Transpose, Concat. They copy elements without
// looking at them, so they work on every dtype (f16/bf16 bits move untouched).
import { allocate, normalizeAxis, stridesOf } from '../../ir/index.js';
import { product } from '../indexing.js';
import { defineKernel, type KernelDef } from '../kernel.js';
import type { Tensor } from '../tensor.js';

/** A fresh output tensor of output `k`'s type, zero-filled. */
function emptyOutput(outputs: readonly { dtype: Tensor['dtype']; shape: number[] }[], k = 0): Tensor {
  const { dtype, shape } = outputs[k]!;
  return { dtype, shape: [...shape], data: allocate(dtype, product(shape)) };
}

// Row-major data is unchanged by a reshape; only the shape (already inferred) differs.
const reshape = defineKernel('Reshape', (ctx) => {
  const out = emptyOutput(ctx.outputs);
  out.data.set(ctx.inputs[0]!.data as never);
  return [out];
});

const transpose = defineKernel('Transpose', (ctx) => {
  const x = ctx.inputs[0]!;
  const perm = ctx.attrs.perm as number[];
  const out = emptyOutput(ctx.outputs);
  const inStrides = stridesOf(x.shape);
  // Output dim d walks input dim perm[d].
  const strides = perm.map((p) => inStrides[p]!);
  const rank = perm.length;
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < out.data.length; o++) {
    out.data[o] = x.data[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      src += strides[d]!;
      if (idx[d]! < out.shape[d]!) break;
      src -= strides[d]! * idx[d]!;
      idx[d] = 0;
    }
  }
  return [out];
});

const concat = defineKernel('Concat', (ctx) => {
  const out = emptyOutput(ctx.outputs);
  const axis = normalizeAxis(ctx.attrs.axis as number, out.shape.length)!;
  const outer = product(out.shape, 0, axis);
  const inner = product(out.shape, axis + 1);
  // Each outer slice of the output is the inputs' outer slices laid end to end.
  let o = 0;
  for (let s = 0; s < outer; s++) {
    for (const t of ctx.inputs) {
      const block = t!.shape[axis]! * inner;
      out.data.set(t!.data.subarray(s * block, (s + 1) * block) as never, o);
      o += block;
    }
  }
  return [out];
});

export const movementKernels: readonly KernelDef[] = [reshape, transpose, concat];
