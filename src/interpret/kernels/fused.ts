// The Pointwise kernel: runs a fused program instruction by instruction with the
// interpreter's own kernel for each op, so a fused layer computes exactly (to the
// bit, rounding included) what the layers it replaced computed.
import { getOp, inferNode, instructionNode, pointwiseProgram, resolveAttrs } from '../../ir/index.js';
import { defineKernel, getKernel, type KernelDef } from '../kernel.js';
import type { Tensor } from '../tensor.js';

const pointwise = defineKernel('Pointwise', (ctx) => {
  const program = pointwiseProgram(ctx.attrs, ctx.inputs.length);
  if (typeof program === 'string') return ctx.fail(program, 'ops');
  const regs: Tensor[] = ctx.inputs.map((t) => t!);
  program.forEach((ins, i) => {
    const node = instructionNode(ctx.node, i, ins);
    const inputs = ins.args.map((r) => regs[r]!);
    const [out] = inferNode(node, inputs.map((t) => ({ dtype: t.dtype, shape: t.shape })));
    const kernel = getKernel(ins.op) ?? ctx.fail(`instruction ${i}: the interpreter has no kernel for ${ins.op}`, 'ops');
    const fail = (m: string, argument?: string) => ctx.fail(`instruction ${i} (${ins.op}): ${m}`, argument);
    const [result] = kernel.fn({ node, attrs: resolveAttrs(getOp(ins.op), node), inputs, outputs: [{ dtype: out!.dtype, shape: out!.shape as number[] }], fail });
    regs.push(result!);
  });
  return [regs[regs.length - 1]!];
});

export const fusedKernels: readonly KernelDef[] = [pointwise];
