// Activation kernels. The scalar math lives in ACTIVATION_FNS (shared with the
// Conv/MatMul epilogues) and the op -> (epilogue, alpha, beta) mapping in the IR's
// ACTIVATIONS table, so each kernel here is one line naming its op.
import { ACTIVATIONS, type Attrs } from '../../ir/index.js';
import { activationFn } from '../activation-fns.js';
import { defineKernel, floatInput, floatOutput, type KernelDef } from '../kernel.js';

/** A pointwise float kernel; `bind` turns the node's attributes into the scalar function. */
export function unary(op: string, bind: (attrs: Attrs) => (x: number) => number): KernelDef {
  return defineKernel(op, (ctx) => {
    const f = bind(ctx.attrs);
    return [floatOutput(ctx, floatInput(ctx, 0).map(f))];
  });
}

function activation(op: keyof typeof ACTIVATIONS): KernelDef {
  const act = ACTIVATIONS[op]!;
  return unary(op, (attrs) => activationFn(act.epilogue, ...act.params(attrs)));
}

export const activationKernels: readonly KernelDef[] = [
  activation('Relu'),
  activation('Sigmoid'),
  activation('Tanh'),
  activation('Gelu'),
  activation('Silu'),
  activation('GeluTanh'),
  activation('LeakyRelu'),
  activation('Clip'),
];
