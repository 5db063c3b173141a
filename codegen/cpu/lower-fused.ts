// Lowering of Pointwise (the fused elementwise chains of FusePointwise) onto the
// native `pointwise` kernel. Each instruction becomes the codes the unfused layer's
// own kernel would have got (unary, math, binary, prelu), so the native program runs
// the very loops those kernels run. Layout in native/PLAN_FORMAT.md.
import { ACTIVATIONS, BINARY_OPS, MATH_OPS, pointwiseProgram, type MathOp } from '../../src/ir/index.js';
import { ACTIVATION_CODES, BINARY_CODES } from '../plan-desc.js';
import { lowering } from './kernel-table.js';
import { MATH_CODES } from './lower-elementwise.js';

/** The kernel's instruction families (native/cpu/kernel-pointwise.cc). */
export const POINTWISE_FAMILIES = { activation: 0, math: 1, binary: 2, prelu: 3 } as const;

/** [family, code, alpha, beta] of one instruction; undefined when the kernel has no loop for the op. */
export function pointwiseInstruction(op: string, attrs: Readonly<Record<string, number>>): [number, number, number, number] | undefined {
  const act = ACTIVATIONS[op];
  if (act) return [POINTWISE_FAMILIES.activation, ACTIVATION_CODES[act.epilogue], ...act.params(attrs)];
  if (op in MATH_OPS) {
    // A program's params are the op's float attributes in declaration order, which is
    // the math kernel's [alpha, beta] (Elu alpha; Selu alpha, gamma; HardSigmoid alpha, beta).
    const [alpha = 0, beta = 0] = Object.keys(MATH_OPS[op as MathOp].attrs).map((n) => attrs[n]!);
    return [POINTWISE_FAMILIES.math, MATH_CODES[op as MathOp], alpha, beta];
  }
  if (op in BINARY_OPS) return [POINTWISE_FAMILIES.binary, BINARY_CODES[BINARY_OPS[op as keyof typeof BINARY_OPS]], 0, 0];
  if (op === 'PRelu') return [POINTWISE_FAMILIES.prelu, 0, 0, 0];
  return undefined;
}

lowering(['Pointwise'], ({ node, attrs, inputs }) => {
  const program = pointwiseProgram(attrs, inputs.length);
  if (typeof program === 'string') throw new Error(`layer '${node.name}' (Pointwise): ${program}`);
  const ints = [program.length];
  const floats: number[] = [];
  program.forEach((ins, i) => {
    const code = pointwiseInstruction(ins.op, ins.attrs);
    if (!code) throw new Error(`layer '${node.name}' (Pointwise): instruction ${i} (${ins.op}) has no CPU loop in kernel pointwise`);
    ints.push(code[0], code[1], ins.args[0]!, ins.args[1] ?? -1);
    floats.push(code[2], code[3]);
  });
  return { kernel: 'pointwise', ints, floats };
});
