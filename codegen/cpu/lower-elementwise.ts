// Lowerings of the elementwise family onto native kernels: unary math and Not
// onto `math`, comparisons and logic onto `compare`, then `mod`, `prelu`,
// `where` and `cast`. The op codes live here, next to the only code that emits
// them, and are documented with the kernels in native/PLAN_FORMAT.md.
import { COMPARE_OPS, MATH_OPS, type CompareOp, type MathOp } from '../../src/ir/index.js';
import { lowering } from './kernel-table.js';

/** The `math` kernel's op codes (native/cpu/kernel-math.cc). */
export const MATH_CODES: Readonly<Record<MathOp | 'Not', number>> = {
  Sqrt: 0, Exp: 1, Log: 2, Erf: 3, Reciprocal: 4, Neg: 5, Abs: 6, Sign: 7, Floor: 8, Ceil: 9, Round: 10,
  Sin: 11, Cos: 12, Tan: 13, Asin: 14, Acos: 15, Atan: 16, Sinh: 17, Cosh: 18, Asinh: 19, Acosh: 20, Atanh: 21,
  Elu: 22, Selu: 23, HardSigmoid: 24, HardSwish: 25, Softplus: 26, Softsign: 27, Mish: 28, Not: 29,
};

/** The `compare` kernel's op codes (native/cpu/kernel-compare.cc). */
export const COMPARE_CODES: Readonly<Record<CompareOp, number>> = {
  Equal: 0, Less: 1, Greater: 2, LessOrEqual: 3, GreaterOrEqual: 4, And: 5, Or: 6, Xor: 7,
};

/** floats = [alpha, beta]: Elu alpha; Selu alpha, gamma; HardSigmoid alpha, beta. */
function mathParams(op: string, attrs: Readonly<Record<string, unknown>>): [number, number] {
  if (op === 'Selu') return [attrs.alpha as number, attrs.gamma as number];
  if (op === 'Elu') return [attrs.alpha as number, 0];
  if (op === 'HardSigmoid') return [attrs.alpha as number, attrs.beta as number];
  return [0, 0];
}

lowering([...Object.keys(MATH_OPS), 'Not'], ({ node, attrs }) => ({
  kernel: 'math', ints: [MATH_CODES[node.op as MathOp | 'Not']], floats: mathParams(node.op, attrs),
}));

lowering(Object.keys(COMPARE_OPS), ({ node }) => ({ kernel: 'compare', ints: [COMPARE_CODES[node.op as CompareOp]], floats: [] }));
lowering(['PRelu'], () => ({ kernel: 'prelu', ints: [], floats: [] }));
lowering(['Mod'], ({ attrs }) => ({ kernel: 'mod', ints: [attrs.fmod as number], floats: [] }));
lowering(['Where'], () => ({ kernel: 'where', ints: [], floats: [] }));
lowering(['Cast'], () => ({ kernel: 'cast', ints: [], floats: [] }));
