// Reshape (0 and -1), Transpose and Concat, on floats and on dtypes that float
// kernels refuse: movement ops copy elements of any dtype unchanged.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/interpret/index.js';
import { expectTensor, runOp } from './graph-helpers.js';

const iota = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

describe('Reshape', () => {
  const x = tensor('f32', [2, 3, 4], iota(24));
  it('0 copies a dim, -1 infers one', () => {
    expectTensor(runOp('Reshape', [x], { shape: [0, -1] }), 'f32', [2, 12], iota(24));
    expectTensor(runOp('Reshape', [x], { shape: [-1, 2] }), 'f32', [12, 2], iota(24));
    expectTensor(runOp('Reshape', [x], { shape: [4, 0, 2] }), 'f32', [4, 3, 2], iota(24));
  });
  it('does not alias its input', () => {
    const y = runOp('Reshape', [x], { shape: [24] });
    expect(y.data).not.toBe(x.data);
  });
});

describe('Transpose', () => {
  it('2-D', () => {
    expectTensor(runOp('Transpose', [tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6])], { perm: [1, 0] }), 'f32', [3, 2], [1, 4, 2, 5, 3, 6]);
  });
  it('3-D: out[k][i][j] = x[i][j][k] = 12i + 4j + k', () => {
    const y = runOp('Transpose', [tensor('f32', [2, 3, 4], iota(24))], { perm: [2, 0, 1] });
    expectTensor(y, 'f32', [4, 2, 3], [0, 4, 8, 12, 16, 20, 1, 5, 9, 13, 17, 21, 2, 6, 10, 14, 18, 22, 3, 7, 11, 15, 19, 23]);
  });
  it('identity perm', () => {
    expectTensor(runOp('Transpose', [tensor('i32', [2, 2], [1, 2, 3, 4])], { perm: [0, 1] }), 'i32', [2, 2], [1, 2, 3, 4]);
  });
  it('moves i64 and f16 bits untouched', () => {
    const y = runOp('Transpose', [tensor('i64', [2, 2], [1n, 2n ** 60n, 3n, -4n])], { perm: [1, 0] });
    expect([...(y.data as BigInt64Array)]).toEqual([1n, 3n, 2n ** 60n, -4n]);
    const h = tensor('f16', [1, 2], [0.1, -3]);
    const z = runOp('Transpose', [h], { perm: [1, 0] });
    expect([...(z.data as Uint16Array)]).toEqual([...(h.data as Uint16Array)]);
  });
});

describe('Concat', () => {
  const a = tensor('f32', [2, 1], [1, 2]);
  const b = tensor('f32', [2, 2], [3, 4, 5, 6]);
  it('axis 1 interleaves rows', () => {
    expectTensor(runOp('Concat', [a, b], { axis: 1 }), 'f32', [2, 3], [1, 3, 4, 2, 5, 6]);
    expectTensor(runOp('Concat', [a, b], { axis: -1 }), 'f32', [2, 3], [1, 3, 4, 2, 5, 6]);
  });
  it('axis 0 appends', () => {
    expectTensor(runOp('Concat', [tensor('f32', [1, 2], [1, 2]), b], { axis: 0 }), 'f32', [3, 2], [1, 2, 3, 4, 5, 6]);
  });
  it('three inputs, on u8 and bool', () => {
    const u = (v: number[]) => tensor('u8', [1, v.length], v);
    expectTensor(runOp('Concat', [u([1]), u([2, 3]), u([255])], { axis: 1 }), 'u8', [1, 4], [1, 2, 3, 255]);
    const t = tensor('bool', [1, 1], [1]);
    expectTensor(runOp('Concat', [t, tensor('bool', [1, 1], [0])], { axis: 0 }), 'bool', [2, 1], [1, 0]);
  });
});
