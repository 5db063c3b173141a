// Elementwise kernels at hand-computed points with ONNX's edge cases: rounding halves
// to even, integer wrap-around, NaN in comparisons and casts, broadcasting of Where,
// f16/bf16 rounding in Cast, and the inference errors users see.
import { describe, expect, it } from 'vitest';
import { COMPARE_OPS, MATH_OPS, getOp, opsInGroup } from '../../src/ir/index.js';
import { getKernel, tensor } from '../../src/interpret/index.js';
import { i64ToF32, roundHalfEven } from '../../src/interpret/kernels/elementwise.js';
import { expectTensor, runOp, thrown } from './graph-helpers.js';

const f32 = (values: number[], shape = [values.length]) => tensor('f32', shape, values);
const unary = (op: string, values: number[], attrs = {}) => runOp(op, [f32(values)], attrs);

describe('unary math', () => {
  it('Sqrt, Exp, Log, Reciprocal, with NaN and infinities', () => {
    expectTensor(unary('Sqrt', [4, 2, -1, 0]), 'f32', [4], [2, Math.SQRT2, NaN, 0]);
    expectTensor(unary('Exp', [0, 1, -Infinity]), 'f32', [3], [1, Math.E, 0]);
    expectTensor(unary('Log', [1, Math.E, 0, -1]), 'f32', [4], [0, 1, -Infinity, NaN]);
    expectTensor(unary('Reciprocal', [2, -4, 0]), 'f32', [3], [0.5, -0.25, Infinity]);
  });
  it('Erf, Neg, Abs, Sign (sign keeps 0 and NaN)', () => {
    expectTensor(unary('Erf', [0, 1, -2]), 'f32', [3], [0, 0.8427007929497149, -0.9953222650189527]);
    expectTensor(unary('Neg', [1.5, -2, 0]), 'f32', [3], [-1.5, 2, -0]);
    expectTensor(unary('Abs', [-1.5, 2, -0]), 'f32', [3], [1.5, 2, 0]);
    expectTensor(unary('Sign', [-3, 0, 2, NaN]), 'f32', [4], [-1, 0, 1, NaN]);
  });
  it('Floor, Ceil, and Round halving to even (numpy rint)', () => {
    expectTensor(unary('Floor', [-1.5, 1.5, 2]), 'f32', [3], [-2, 1, 2]);
    expectTensor(unary('Ceil', [-1.5, 1.5, 2]), 'f32', [3], [-1, 2, 2]);
    expectTensor(unary('Round', [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6, 0.1]), 'f32', [9], [-2, -2, -0, 0, 2, 2, 2, -3, 0]);
    expect(Object.is(roundHalfEven(-0.4), -0)).toBe(true);
    expect(roundHalfEven(Infinity)).toBe(Infinity);
  });
  it('trigonometric and hyperbolic functions', () => {
    expectTensor(unary('Sin', [0, Math.PI / 2]), 'f32', [2], [0, 1]);
    expectTensor(unary('Cos', [0, Math.PI]), 'f32', [2], [1, -1]);
    expectTensor(unary('Tan', [Math.PI / 4]), 'f32', [1], [1]);
    expectTensor(unary('Asin', [1, 2]), 'f32', [2], [Math.PI / 2, NaN]);
    expectTensor(unary('Acos', [1]), 'f32', [1], [0]);
    expectTensor(unary('Atan', [1]), 'f32', [1], [Math.PI / 4]);
    expectTensor(unary('Sinh', [1]), 'f32', [1], [1.1752011936438014]);
    expectTensor(unary('Cosh', [1]), 'f32', [1], [1.5430806348152437]);
    expectTensor(unary('Asinh', [1]), 'f32', [1], [0.881373587019543]);
    expectTensor(unary('Acosh', [1, 0.5]), 'f32', [2], [0, NaN]);
    expectTensor(unary('Atanh', [0.5, 1]), 'f32', [2], [0.5493061443340549, Infinity]);
  });
  it('Elu and Selu with default and given attributes', () => {
    expectTensor(unary('Elu', [-1, 0, 2]), 'f32', [3], [Math.exp(-1) - 1, 0, 2]);
    expectTensor(unary('Elu', [-1], { alpha: 2 }), 'f32', [1], [2 * (Math.exp(-1) - 1)]);
    // The ONNX test_selu_default values: gamma*x above 0, gamma*alpha*(e^x - 1) below.
    expectTensor(unary('Selu', [-1, 0, 1]), 'f32', [3], [-1.1113307, 0, 1.050701]);
    expectTensor(unary('Selu', [-1, 1], { alpha: 2, gamma: 3 }), 'f32', [2], [3 * 2 * (Math.exp(-1) - 1), 3]);
  });
  it('HardSigmoid, HardSwish, Softplus, Softsign, Mish', () => {
    expectTensor(unary('HardSigmoid', [-3, 0, 1, 3]), 'f32', [4], [0, 0.5, 0.7, 1]);
    expectTensor(unary('HardSigmoid', [1], { alpha: 0.5, beta: 0.6 }), 'f32', [1], [1]);
    expectTensor(unary('HardSwish', [-4, -1, 0, 1, 4]), 'f32', [5], [0, -1 / 3, 0, 2 / 3, 4]);
    expectTensor(unary('Softplus', [0, 1, -1, 100, -100]), 'f32', [5], [Math.LN2, 1.3132616875182228, 0.31326168751822286, 100, 3.720075976020836e-44]);
    expectTensor(unary('Softsign', [1, -3, 0]), 'f32', [3], [0.5, -0.75, 0]);
    expectTensor(unary('Mish', [0, 1, -1, 50]), 'f32', [4], [0, 0.8650983882673103, -0.30340146137410895, 50]);
  });
  it('Neg, Abs and Sign on integers wrap like C', () => {
    expectTensor(runOp('Neg', [tensor('i32', [3], [5, -2147483648, 0])]), 'i32', [3], [-5, -2147483648, 0]);
    expectTensor(runOp('Abs', [tensor('i8', [3], [-128, -5, 7])]), 'i8', [3], [-128, 5, 7]);
    expectTensor(runOp('Sign', [tensor('u8', [2], [0, 200])]), 'u8', [2], [0, 1]);
    const n = runOp('Neg', [tensor('i64', [2], [-(2n ** 63n), 3n])]);
    expect(Array.from(n.data as BigInt64Array)).toEqual([-(2n ** 63n), -3n]);
    expect(Array.from(runOp('Abs', [tensor('i64', [1], [-7n])]).data as BigInt64Array)).toEqual([7n]);
    expect(Array.from(runOp('Sign', [tensor('i64', [3], [-7n, 0n, 9n])]).data as BigInt64Array)).toEqual([-1n, 0n, 1n]);
  });
  it('computes f16 in f64 and stores f16 bits', () => {
    expectTensor(runOp('Exp', [tensor('f16', [1], [1])]), 'f16', [1], [2.71875]);
  });
  it('refuses integers where the op has no integer form, naming the input', () => {
    const e = thrown(() => runOp('Sqrt', [tensor('i32', [2], [1, 4])]));
    expect(e.message).toBe("layer 'y' (Sqrt): Sqrt is defined on f32, f16, bf16; input 'x' is i32[2]");
    expect(e.code).toBe('KILN_SHAPE');
    expect(thrown(() => runOp('Neg', [tensor('u8', [1], [1])])).message).toBe("layer 'y' (Neg): Neg is defined on f32, f16, bf16, i8, i32, i64; input 'x' is u8[1]");
  });
  it('refuses unknown attributes', () => {
    expect(thrown(() => unary('Sqrt', [1], { alpha: 1 })).message).toBe("layer 'y' (Sqrt): unknown attribute 'alpha'; Sqrt takes: none");
  });
});

describe('PRelu', () => {
  it('broadcasts a per-channel slope to x', () => {
    const x = f32([-1, 2, -3, 4, -5, 6], [1, 3, 2]);
    expectTensor(runOp('PRelu', [x, f32([0.1, 0.2, 0.3], [3, 1])]), 'f32', [1, 3, 2], [-0.1, 2, -0.6, 4, -1.5, 6]);
    expectTensor(runOp('PRelu', [x, f32([0.5])]), 'f32', [1, 3, 2], [-0.5, 2, -1.5, 4, -2.5, 6]);
  });
  it('refuses a slope that would grow x', () => {
    const e = thrown(() => runOp('PRelu', [f32([1, 2], [2]), f32([1, 2, 3, 4], [2, 2])]));
    expect(e.message).toBe("layer 'y' (PRelu): slope f32[2,2] must broadcast to x f32[2]");
  });
});

describe('comparisons and logic', () => {
  it('compare floats with broadcasting; NaN compares false except in nothing', () => {
    const a = f32([1, 2, NaN, 4], [2, 2]);
    const b = f32([2, NaN], [1, 2]);
    expectTensor(runOp('Equal', [a, f32([1, NaN], [2])]), 'bool', [2, 2], [1, 0, 0, 0]);
    expectTensor(runOp('Less', [a, b]), 'bool', [2, 2], [1, 0, 0, 0]);
    expectTensor(runOp('Greater', [a, b]), 'bool', [2, 2], [0, 0, 0, 0]);
    expectTensor(runOp('LessOrEqual', [a, f32([2])]), 'bool', [2, 2], [1, 1, 0, 0]);
    expectTensor(runOp('GreaterOrEqual', [a, f32([2])]), 'bool', [2, 2], [0, 1, 0, 1]);
  });
  it('compares integers exactly, i64 past 2^53 included', () => {
    expectTensor(runOp('Less', [tensor('i32', [3], [1, 2, 3]), tensor('i32', [1], [2])]), 'bool', [3], [1, 0, 0]);
    const big = tensor('i64', [2], [2n ** 60n, 2n ** 60n + 1n]);
    expectTensor(runOp('Equal', [big, tensor('i64', [1], [2n ** 60n])]), 'bool', [2], [1, 0]);
    expectTensor(runOp('Equal', [tensor('bool', [2], [1, 0]), tensor('bool', [2], [1, 1])]), 'bool', [2], [1, 0]);
  });
  it('And, Or, Xor, Not on bool', () => {
    const p = tensor('bool', [4], [0, 0, 1, 1]);
    const q = tensor('bool', [4], [0, 1, 0, 1]);
    expectTensor(runOp('And', [p, q]), 'bool', [4], [0, 0, 0, 1]);
    expectTensor(runOp('Or', [p, q]), 'bool', [4], [0, 1, 1, 1]);
    expectTensor(runOp('Xor', [p, q]), 'bool', [4], [0, 1, 1, 0]);
    expectTensor(runOp('Not', [p]), 'bool', [4], [1, 1, 0, 0]);
    expectTensor(runOp('And', [tensor('bool', [2, 1], [1, 0]), tensor('bool', [2], [1, 1])]), 'bool', [2, 2], [1, 1, 0, 0]);
  });
  it('name the inputs in dtype and shape errors', () => {
    expect(thrown(() => runOp('Less', [f32([1]), tensor('i32', [1], [1])])).message).toBe("layer 'y' (Less): inputs 'a' f32[1], 'b' i32[1] must have one dtype");
    expect(thrown(() => runOp('And', [f32([1]), f32([1])])).message).toBe("layer 'y' (And): And is defined on bool; input 'a' is f32[1]");
    expect(thrown(() => runOp('Less', [tensor('bool', [1], [1]), tensor('bool', [1], [1])])).message).toContain("input 'a' is bool[1]");
    expect(thrown(() => runOp('Equal', [f32([1, 2]), f32([1, 2, 3])])).message)
      .toBe("layer 'y' (Equal): inputs f32[2], f32[3] do not broadcast: shapes [2] and [3] do not broadcast (dim 0: 2 vs 3)");
  });
});

describe('Mod', () => {
  const i32 = (v: number[]) => tensor('i32', [v.length], v);
  it('fmod 0 takes the divisor sign, fmod 1 the dividend sign (ONNX test_mod_mixed_sign)', () => {
    const a = i32([-4, 7, 5, 4, -7, 8]);
    const b = i32([2, -3, 8, -2, 3, 5]);
    expectTensor(runOp('Mod', [a, b]), 'i32', [6], [0, -2, 5, 0, 2, 3]);
    expectTensor(runOp('Mod', [a, b], { fmod: 1 }), 'i32', [6], [0, 1, 5, 0, -1, 3]);
    expectTensor(runOp('Mod', [f32([-4.3, 7.2, 5.0, 4.3, -7.2, 8.0]), f32([2.1, -3.4, 8.0, -2.1, 3.4, 5.0])], { fmod: 1 }), 'f32', [6], [-0.1, 0.4, 5, 0.1, -0.4, 3], 5);
  });
  it('broadcasts, works on i64 and u8, and fails on a zero divisor', () => {
    const big = runOp('Mod', [tensor('i64', [2], [-(2n ** 62n) - 1n, 7n]), tensor('i64', [1], [10n])]);
    expect(Array.from(big.data as BigInt64Array)).toEqual([5n, 7n]);
    expectTensor(runOp('Mod', [tensor('u8', [2, 1], [250, 7]), tensor('u8', [2], [7, 3])]), 'u8', [2, 2], [5, 1, 0, 1]);
    expect(thrown(() => runOp('Mod', [i32([1]), i32([0])])).message).toBe("layer 'y' (Mod): integer Mod of 1 by 0 has no result (division by zero)");
  });
  it('refuses fmod 0 on floats, as ONNX does', () => {
    expect(thrown(() => runOp('Mod', [f32([1]), f32([2])])).message).toBe("layer 'y' (Mod): Mod on f32[1] needs fmod 1 (ONNX defines the integer remainder only for integers)");
  });
});

describe('Where', () => {
  it('broadcasts cond, x and y together', () => {
    const cond = tensor('bool', [2, 1], [1, 0]);
    expectTensor(runOp('Where', [cond, f32([1, 2, 3]), f32([-1])]), 'f32', [2, 3], [1, 2, 3, -1, -1, -1]);
  });
  it('passes any dtype through unchanged (i64 and f16 bits)', () => {
    const y = runOp('Where', [tensor('bool', [3], [1, 0, 1]), tensor('i64', [3], [2n ** 62n, 2n, 3n]), tensor('i64', [1], [-9n])]);
    expect(Array.from(y.data as BigInt64Array)).toEqual([2n ** 62n, -9n, 3n]);
    expectTensor(runOp('Where', [tensor('bool', [2], [0, 1]), tensor('f16', [2], [1, 2]), tensor('f16', [2], [3, 4])]), 'f16', [2], [3, 2]);
  });
  it('errors: cond must be bool, x and y one dtype, shapes broadcast', () => {
    expect(thrown(() => runOp('Where', [f32([1]), f32([1]), f32([1])])).message).toBe("layer 'y' (Where): Where is defined on bool; input 'cond' is f32[1]");
    expect(thrown(() => runOp('Where', [tensor('bool', [1], [1]), f32([1]), tensor('i32', [1], [1])])).message)
      .toBe("layer 'y' (Where): inputs 'x' f32[1], 'y' i32[1] must have one dtype");
    expect(thrown(() => runOp('Where', [tensor('bool', [2], [1, 1]), f32([1, 2, 3]), f32([1])])).message).toContain('inputs bool[2], f32[3], f32[1] do not broadcast');
  });
});

describe('Cast', () => {
  const cast = (t: ReturnType<typeof tensor>, to: string) => runOp('Cast', [t], { to });
  it('floats to integers truncate toward zero; NaN gives 0; out of range saturates', () => {
    const x = f32([-1.7, 2.9, -0.5, NaN, 1e10, -1e10, 300, -300]);
    expectTensor(cast(x, 'i32'), 'i32', [8], [-1, 2, 0, 0, 2147483647, -2147483648, 300, -300]);
    expectTensor(cast(x, 'i8'), 'i8', [8], [-1, 2, 0, 0, 127, -128, 127, -128]);
    expectTensor(cast(x, 'u8'), 'u8', [8], [0, 2, 0, 0, 255, 0, 255, 0]);
    expect(Array.from(cast(f32([-1.7, 1e30, -1e30, 2 ** 40]), 'i64').data as BigInt64Array)).toEqual([-1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 40n]);
  });
  it('to bool is x != 0, NaN included', () => {
    expectTensor(cast(f32([0, -0, 0.1, NaN]), 'bool'), 'bool', [4], [0, 0, 1, 1]);
    expectTensor(cast(tensor('i64', [2], [0n, -5n]), 'bool'), 'bool', [2], [0, 1]);
    expectTensor(cast(tensor('i32', [2], [0, 7]), 'bool'), 'bool', [2], [0, 1]);
  });
  it('from bool gives 0 and 1', () => {
    const b = tensor('bool', [2], [1, 0]);
    expectTensor(cast(b, 'f32'), 'f32', [2], [1, 0]);
    expect(Array.from(cast(b, 'i64').data as BigInt64Array)).toEqual([1n, 0n]);
  });
  it('integers to narrower integers keep the low bits', () => {
    expectTensor(cast(tensor('i32', [3], [200, -129, 256]), 'i8'), 'i8', [3], [-56, 127, 0]);
    expectTensor(cast(tensor('i32', [2], [-1, 511]), 'u8'), 'u8', [2], [255, 255]);
    expectTensor(cast(tensor('i64', [2], [2n ** 32n + 5n, -1n]), 'i32'), 'i32', [2], [5, -1]);
    expectTensor(cast(tensor('u8', [1], [200]), 'i8'), 'i8', [1], [-56]);
    expect(Array.from(cast(tensor('i8', [1], [-3]), 'i64').data as BigInt64Array)).toEqual([-3n]);
  });
  it('to f16 and bf16 rounds to nearest even', () => {
    // 1 + 2^-11 is halfway between f16 1 and 1 + 2^-10: ties to the even 1.
    expect(Array.from(cast(f32([1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 1e-8]), 'f16').data as Uint16Array)).toEqual([0x3c00, 0x3c02, 0x7c00, 0]);
    expect(Array.from(cast(f32([1 + 2 ** -8, 1 + 3 * 2 ** -8]), 'bf16').data as Uint16Array)).toEqual([0x3f80, 0x3f82]);
    expectTensor(cast(tensor('f16', [2], [1.5, -2]), 'f32'), 'f32', [2], [1.5, -2]);
    expectTensor(cast(tensor('bf16', [1], [3]), 'f16'), 'f16', [1], [3]);
    expectTensor(cast(tensor('i32', [2], [3, -70000]), 'f16'), 'f16', [2], [3, -Infinity]);
  });
  it('i64 to f32 rounds once, even past 2^53', () => {
    expect(i64ToF32(2n ** 24n + 1n)).toBe(2 ** 24);
    expect(i64ToF32(2n ** 24n + 3n)).toBe(2 ** 24 + 4);
    // 2^60 + 2^36 + 1: a double rounds it to the f32 tie 2^60 + 2^36, which would then go down to 2^60.
    expect(i64ToF32(2n ** 60n + 2n ** 36n + 1n)).toBe(2 ** 60 + 2 ** 37);
    expect(i64ToF32(-(2n ** 63n))).toBe(-(2 ** 63));
    expectTensor(cast(tensor('i64', [2], [2n ** 60n + 2n ** 36n + 1n, -5n]), 'f32'), 'f32', [2], [2 ** 60 + 2 ** 37, -5]);
  });
  it('refuses an unknown target dtype', () => {
    expect(thrown(() => cast(f32([1]), 'f64')).message).toBe("layer 'y' (Cast): attribute 'to' must be one of f32, f16, bf16, i8, u8, i32, i64, bool, got 'f64'");
  });
});

describe('registry', () => {
  it('every elementwise op has a kernel and the family registers every op of its tables', () => {
    const ops = opsInGroup('elementwise').map((d) => d.name);
    expect(ops.filter((op) => !getKernel(op))).toEqual([]);
    expect(ops).toEqual(expect.arrayContaining([...Object.keys(MATH_OPS), ...Object.keys(COMPARE_OPS), 'Not', 'Mod', 'PRelu', 'Where', 'Cast']));
    expect(getOp('Selu').attrs.alpha!.default).toBe(1.67326319217681884765625);
  });
});
