// The op layout assignment (assign-layout.ts) creates: ConvNhwc, a depthwise Conv
// (groups == C == Cout, 2 spatial dims) on an NHWC input that writes an NHWC output.
// It means exactly Transpose(Conv(Transpose(x, [0,3,1,2]), w, b), [0,2,3,1]) with
// Conv's attributes and weights ([C,1,kh,kw]): its shape inference and its
// interpreter kernel are Conv's, run on the permuted tensors, so the oracle of every
// layout test is the Conv the layer replaced. Declared next to the only pass that
// makes it; src/ir's registry holds it once this module is imported (passes/index.ts).
import { defineOp, formatType, getOp, hasOp, type InferContext, type TensorType } from '../src/ir/index.js';
import { defineKernel, getKernel, type KernelContext, type Tensor } from '../src/interpret/index.js';

export const TO_NHWC = [0, 2, 3, 1] as const;
export const TO_NCHW = [0, 3, 1, 2] as const;

const permuted = (t: TensorType, perm: readonly number[]): TensorType => ({ dtype: t.dtype, shape: perm.map((p) => t.shape[p]!) });

function inferConvNhwc(ctx: InferContext): TensorType[] {
  const [x, w, b] = ctx.inputs as [TensorType, TensorType, TensorType | undefined];
  if (x.shape.length !== 4) ctx.fail(`input 'x' must be NHWC [N,H,W,C], got ${formatType(x)}`, { argument: 'x', received: formatType(x) });
  const channels = x.shape[3];
  if (typeof channels !== 'number' || ctx.attrs.groups !== channels || w.shape[0] !== channels || w.shape[1] !== 1) {
    ctx.fail(`ConvNhwc is depthwise: groups ${String(ctx.attrs.groups)} and weights 'w' ${formatType(w)} must match the ${String(channels)} channels of input 'x' ${formatType(x)} ([C,1,kh,kw])`, { argument: 'w', received: formatType(w) });
  }
  const [y] = getOp('Conv').infer({ ...ctx, inputs: [permuted(x, TO_NCHW), w, b] });
  return [permuted(y!, TO_NHWC)];
}

if (!hasOp('ConvNhwc')) {
  defineOp({ name: 'ConvNhwc', group: 'conv', inputs: [{ name: 'x' }, { name: 'w' }, { name: 'b', optional: true }], attrs: getOp('Conv').attrs, infer: inferConvNhwc });

  const run = (op: string, ctx: KernelContext, inputs: (Tensor | undefined)[], attrs: KernelContext['attrs'], out: { dtype: Tensor['dtype']; shape: number[] }): Tensor =>
    getKernel(op)!.fn({ ...ctx, attrs, inputs, outputs: [out] })[0]!;

  defineKernel('ConvNhwc', (ctx) => {
    const [x, w, b] = ctx.inputs as [Tensor, Tensor, Tensor | undefined];
    const nchw = TO_NCHW.map((p) => x.shape[p]!);
    const y = ctx.outputs[0]!;
    const xt = run('Transpose', ctx, [x], { perm: [...TO_NCHW] }, { dtype: x.dtype, shape: nchw });
    const yt = run('Conv', ctx, [xt, w, b], ctx.attrs, { dtype: y.dtype, shape: TO_NCHW.map((p) => y.shape[p]!) });
    return [run('Transpose', ctx, [yt], { perm: [...TO_NHWC] }, y)];
  });
}
