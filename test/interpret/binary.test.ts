// Binary kernels: numpy broadcasting, each op on floats, and integer semantics
// (wrapping, truncating division, division by zero, i64, bool).
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/interpret/index.js';
import { expectTensor, runOp, thrown } from './graph-helpers.js';

const a23 = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);

describe('broadcasting', () => {
  it('adds [2,3] and [3] along rows', () => {
    expectTensor(runOp('Add', [a23, tensor('f32', [3], [10, 20, 30])]), 'f32', [2, 3], [11, 22, 33, 14, 25, 36]);
  });
  it('adds [2,3] and [2,1] along columns', () => {
    expectTensor(runOp('Add', [a23, tensor('f32', [2, 1], [100, 200])]), 'f32', [2, 3], [101, 102, 103, 204, 205, 206]);
  });
  it('broadcasts both sides: [2,1] with [1,3]', () => {
    expectTensor(runOp('Mul', [tensor('f32', [2, 1], [1, 2]), tensor('f32', [1, 3], [1, 10, 100])]), 'f32', [2, 3], [1, 10, 100, 2, 20, 200]);
  });
  it('broadcasts a scalar-shaped [] tensor', () => {
    expectTensor(runOp('Sub', [a23, tensor('f32', [], [1])]), 'f32', [2, 3], [0, 1, 2, 3, 4, 5]);
  });
});

describe('float ops', () => {
  const b = tensor('f32', [3], [2, -1, 0.5]);
  const a = tensor('f32', [3], [3, 4, 4]);
  it('Sub', () => expectTensor(runOp('Sub', [a, b]), 'f32', [3], [1, 5, 3.5]));
  it('Mul', () => expectTensor(runOp('Mul', [a, b]), 'f32', [3], [6, -4, 2]));
  it('Div', () => expectTensor(runOp('Div', [a, b]), 'f32', [3], [1.5, -4, 8]));
  it('Max', () => expectTensor(runOp('Max', [a, b]), 'f32', [3], [3, 4, 4]));
  it('Min', () => expectTensor(runOp('Min', [a, b]), 'f32', [3], [2, -1, 0.5]));
  it('Pow', () => expectTensor(runOp('Pow', [a, b]), 'f32', [3], [9, 0.25, 2]));
  it('Div by zero follows IEEE', () => {
    expectTensor(runOp('Div', [tensor('f32', [2], [1, 0]), tensor('f32', [2], [0, 0])]), 'f32', [2], [Infinity, NaN]);
  });
  it('f16 inputs give an f16 result rounded once', () => {
    expectTensor(runOp('Add', [tensor('f16', [1], [1]), tensor('f16', [1], [0.0001])]), 'f16', [1], [1]);
    expectTensor(runOp('Mul', [tensor('bf16', [2], [3, 1.5]), tensor('bf16', [2], [2, 2])]), 'bf16', [2], [6, 3]);
  });
});

describe('integer ops', () => {
  const i32 = (v: number[]) => tensor('i32', [v.length], v);
  it('i32 arithmetic', () => {
    expectTensor(runOp('Add', [i32([1, -2, 7]), i32([3, 5, -7])]), 'i32', [3], [4, 3, 0]);
    expectTensor(runOp('Mul', [i32([3, -4]), i32([5, 6])]), 'i32', [2], [15, -24]);
    expectTensor(runOp('Max', [i32([3, -4]), i32([5, -6])]), 'i32', [2], [5, -4]);
    expectTensor(runOp('Pow', [i32([2, 3, 2, -1]), i32([10, 3, -1, -3])]), 'i32', [4], [1024, 27, 0, -1]);
  });
  it('i32 division truncates toward zero', () => {
    expectTensor(runOp('Div', [i32([7, -7, 7, -7]), i32([2, 2, -2, -2])]), 'i32', [4], [3, -3, -3, 3]);
  });
  it('i32 wraps on overflow like C', () => {
    expectTensor(runOp('Add', [i32([2147483647]), i32([1])]), 'i32', [1], [-2147483648]);
    expectTensor(runOp('Mul', [i32([65536 * 3 + 1]), i32([65536 * 5 + 1])]), 'i32', [1], [Math.imul(196609, 327681)]);
  });
  it('u8 and i8 wrap', () => {
    expectTensor(runOp('Sub', [tensor('u8', [1], [3]), tensor('u8', [1], [5])]), 'u8', [1], [254]);
    expectTensor(runOp('Add', [tensor('i8', [1], [127]), tensor('i8', [1], [1])]), 'i8', [1], [-128]);
  });
  it('integer division by zero fails with the layer named', () => {
    const e = thrown(() => runOp('Div', [i32([4, 1]), i32([2, 0])]));
    expect(e.message).toBe("layer 'y' (Div): integer Div of 1 by 0 has no result (division by zero)");
    expect(e.code).toBe('KILN_INTERPRET');
  });
  it('i64 uses exact 64-bit arithmetic', () => {
    const big = tensor('i64', [2], [2n ** 62n, -7n]);
    const y = runOp('Add', [big, tensor('i64', [2], [2n ** 62n, 2n])]);
    expect(y.data).toBeInstanceOf(BigInt64Array);
    expect([...(y.data as BigInt64Array)]).toEqual([-(2n ** 63n), -5n]);
    expect([...(runOp('Div', [tensor('i64', [1], [-7n]), tensor('i64', [1], [2n])]).data as BigInt64Array)]).toEqual([-3n]);
    // 3^39 still fits in 63 bits; 3^40 wraps.
    const pow = runOp('Pow', [tensor('i64', [2], [3n, 3n]), tensor('i64', [2], [39n, 40n])]);
    expect([...(pow.data as BigInt64Array)]).toEqual([3n ** 39n, 3n ** 40n - 2n ** 64n]);
  });
  it('bool supports Max (or), Min (and), Mul (and) and rejects arithmetic', () => {
    const p = tensor('bool', [4], [0, 0, 1, 1]);
    const q = tensor('bool', [4], [0, 1, 0, 1]);
    expectTensor(runOp('Max', [p, q]), 'bool', [4], [0, 1, 1, 1]);
    expectTensor(runOp('Min', [p, q]), 'bool', [4], [0, 0, 0, 1]);
    expectTensor(runOp('Mul', [p, q]), 'bool', [4], [0, 0, 0, 1]);
    expect(thrown(() => runOp('Add', [p, q])).message).toBe("layer 'y' (Add): Add is not defined on bool (inputs bool[4] and bool[4])");
  });
  it('broadcasts integers too', () => {
    expectTensor(runOp('Add', [tensor('i32', [2, 2], [1, 2, 3, 4]), tensor('i32', [2], [10, 20])]), 'i32', [2, 2], [11, 22, 13, 24]);
  });
});
