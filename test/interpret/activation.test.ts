// Activations at hand-checked points (reference values from a libm erf), erf itself,
// the shared scalar table, and the float-only check.
import { describe, expect, it } from 'vitest';
import { ACTIVATION_FNS, activationFn, erf, tensor } from '../../src/interpret/index.js';
import { expectTensor, runOp, thrown } from './graph-helpers.js';

const x = (values: number[]) => tensor('f32', [values.length], values);

describe('erf', () => {
  it('matches reference values to 1e-7', () => {
    const cases: [number, number][] = [
      [0, 0], [0.1, 0.1124629160182849], [0.25, 0.2763263901682369], [0.5, 0.5204998778130465],
      [1, 0.8427007929497149], [1.5, 0.9661051464753108], [2, 0.9953222650189527], [-2, -0.9953222650189527],
      [2.5, 0.999593047982555], [3, 0.9999779095030014], [3.5, 0.9999992569016276], [5, 0.9999999999984626], [7, 1], [-7, -1],
    ];
    for (const [v, want] of cases) expect(Math.abs(erf(v) - want), `erf(${v})`).toBeLessThan(1e-7);
    // The series is much tighter than the 1e-7 asked for.
    for (const [v, want] of cases) expect(Math.abs(erf(v) - want), `erf(${v})`).toBeLessThan(1e-14);
    expect(erf(NaN)).toBeNaN();
  });
});

describe('activation kernels', () => {
  it('Relu', () => expectTensor(runOp('Relu', [x([-1, 0, 2])]), 'f32', [3], [0, 0, 2]));
  it('Sigmoid', () => expectTensor(runOp('Sigmoid', [x([0, 1, -2])]), 'f32', [3], [0.5, 0.7310585786300049, 0.11920292202211755]));
  it('Tanh', () => expectTensor(runOp('Tanh', [x([0, 0.5, -2])]), 'f32', [3], [0, 0.46211715726000974, -0.9640275800758169]));
  it('Gelu (erf form)', () => {
    expectTensor(runOp('Gelu', [x([0, 1, -1, 2, -3, 0.5])]), 'f32', [6], [0, 0.8413447460685429, -0.15865525393145707, 1.9544997361036416, -0.00404969409489031, 0.34573123063700656]);
  });
  it('Silu', () => expectTensor(runOp('Silu', [x([0, 1, -1, 2])]), 'f32', [4], [0, 0.7310585786300049, -0.2689414213699951, 1.7615941559557646]));
  it('LeakyRelu with alpha and with the default 0.01', () => {
    expectTensor(runOp('LeakyRelu', [x([-2, 3])], { alpha: 0.1 }), 'f32', [2], [-0.2, 3]);
    expectTensor(runOp('LeakyRelu', [x([-2, 3])]), 'f32', [2], [-0.02, 3]);
  });
  it('Clip', () => {
    expectTensor(runOp('Clip', [x([-3, 0.5, 2])], { min: -1, max: 1 }), 'f32', [3], [-1, 0.5, 1]);
    expectTensor(runOp('Clip', [x([-3, 0.5, 2])], { max: 1 }), 'f32', [3], [-3, 0.5, 1]);
  });
  it('keeps the input shape', () => {
    expectTensor(runOp('Relu', [tensor('f32', [2, 2], [-1, 2, -3, 4])]), 'f32', [2, 2], [0, 2, 0, 4]);
  });
  it('rounds to f32 at the output', () => {
    const y = runOp('Sigmoid', [x([1])]);
    expect(y.data).toBeInstanceOf(Float32Array);
    expect(y.data[0]).toBe(Math.fround(0.7310585786300049));
  });
  it('computes f16 through f32 and stores f16 bits', () => {
    const y = runOp('Gelu', [tensor('f16', [2], [1, -1])]);
    expect(y.data).toBeInstanceOf(Uint16Array);
    expectTensor(y, 'f16', [2], [0.84130859375, -0.15869140625]);
  });
});

describe('ACTIVATION_FNS', () => {
  it('covers every epilogue and binds alpha/beta', () => {
    expect(Object.keys(ACTIVATION_FNS).sort()).toEqual(['clip', 'gelu', 'geluTanh', 'leakyRelu', 'none', 'relu', 'sigmoid', 'silu', 'tanh']);
    expect(activationFn('none')(-3)).toBe(-3);
    // GELU's tanh form stays within 1e-3 of the erf form and is exact at 0.
    for (const x of [-3, -1, -0.5, 0.5, 1, 2, 4]) expect(Math.abs(activationFn('geluTanh')(x) - activationFn('gelu')(x))).toBeLessThan(1e-3);
    expect(activationFn('geluTanh')(0)).toBe(0);
    expect(activationFn('geluTanh')(1)).toBeCloseTo(0.8411920, 6);
    expect(activationFn('leakyRelu', 0.5)(-4)).toBe(-2);
    expect(activationFn('clip', 0, 6)(7)).toBe(6);
  });
});

describe('activation dtypes', () => {
  it('rejects integer tensors at inference', () => {
    const e = thrown(() => runOp('Relu', [tensor('i32', [2], [1, -1])]));
    expect(e.message).toBe("layer 'y' (Relu): input 'x' must be a float tensor, got i32");
  });
});
