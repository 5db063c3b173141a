// MatMul by hand: A[2,3] * B[3,2] = [[58,64],[139,154]] in every transpose
// combination, batch broadcasting, and the bias + relu epilogue.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/interpret/index.js';
import { expectTensor, runOp, thrown } from './graph-helpers.js';

const A = tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]);
const B = tensor('f32', [3, 2], [7, 8, 9, 10, 11, 12]);
const AT = tensor('f32', [3, 2], [1, 4, 2, 5, 3, 6]);
const BT = tensor('f32', [2, 3], [7, 9, 11, 8, 10, 12]);
const AB = [58, 64, 139, 154];

describe('MatMul', () => {
  it('plain', () => expectTensor(runOp('MatMul', [A, B]), 'f32', [2, 2], AB));
  it('transA', () => expectTensor(runOp('MatMul', [AT, B], { transA: true }), 'f32', [2, 2], AB));
  it('transB', () => expectTensor(runOp('MatMul', [A, BT], { transB: true }), 'f32', [2, 2], AB));
  it('transA and transB', () => expectTensor(runOp('MatMul', [AT, BT], { transA: true, transB: true }), 'f32', [2, 2], AB));

  it('broadcasts batch dims: [2,1,2,2] x [3,2,2] -> [2,3,2,2]', () => {
    // a0 = identity, a1 = 2 * identity, so each output block is b_j or 2 * b_j.
    const a = tensor('f32', [2, 1, 2, 2], [1, 0, 0, 1, 2, 0, 0, 2]);
    const b = tensor('f32', [3, 2, 2], [1, 2, 3, 4, 0, 1, 1, 0, 1, 1, 1, 1]);
    expectTensor(runOp('MatMul', [a, b]), 'f32', [2, 3, 2, 2], [1, 2, 3, 4, 0, 1, 1, 0, 1, 1, 1, 1, 2, 4, 6, 8, 0, 2, 2, 0, 2, 2, 2, 2]);
  });

  it('broadcasts a rank-2 operand over a batched one', () => {
    const a = tensor('f32', [2, 2, 3], [1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6]);
    expectTensor(runOp('MatMul', [a, B]), 'f32', [2, 2, 2], [...AB, ...AB.map((v) => -v)]);
  });

  it('adds the bias along the last dim, then the epilogue', () => {
    const bias = tensor('f32', [2], [-60, -100]);
    expectTensor(runOp('MatMul', [A, B, bias]), 'f32', [2, 2], [-2, -36, 79, 54]);
    expectTensor(runOp('MatMul', [A, B, bias], { activation: 'relu' }), 'f32', [2, 2], [0, 0, 79, 54]);
  });

  it('rejects integer matrices', () => {
    const i = tensor('i32', [1, 1], [1]);
    expect(thrown(() => runOp('MatMul', [i, i])).message).toBe("layer 'y' (MatMul): MatMul computes on f32, f16 or bf16; input 'a' is i32[1,1]");
  });
});
