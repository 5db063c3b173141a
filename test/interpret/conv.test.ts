// Conv on inputs small enough to check by hand: 1x1, padded stride-2 3x3, grouped,
// depthwise, dilated, 1-D and 3-D, and the bias + activation epilogue.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/interpret/index.js';
import { expectTensor, runOp, thrown } from './graph-helpers.js';

const iota = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

describe('Conv', () => {
  // Channels c0 = 1..4 and c1 = 5..8; w mixes them as c0+c1 and c0-c1.
  const x1 = tensor('f32', [1, 2, 2, 2], iota(8));
  const w1 = tensor('f32', [2, 2, 1, 1], [1, 1, 1, -1]);

  it('1x1 mixes channels per pixel', () => {
    expectTensor(runOp('Conv', [x1, w1]), 'f32', [1, 2, 2, 2], [6, 8, 10, 12, -4, -4, -4, -4]);
  });

  it('adds the bias and applies the epilogue', () => {
    const b = tensor('f32', [2], [0.5, -1]);
    expectTensor(runOp('Conv', [x1, w1, b]), 'f32', [1, 2, 2, 2], [6.5, 8.5, 10.5, 12.5, -5, -5, -5, -5]);
    expectTensor(runOp('Conv', [x1, w1, b], { activation: 'relu' }), 'f32', [1, 2, 2, 2], [6.5, 8.5, 10.5, 12.5, 0, 0, 0, 0]);
    expectTensor(runOp('Conv', [x1, w1, b], { activation: 'leakyRelu', alpha: 0.1 }), 'f32', [1, 2, 2, 2], [6.5, 8.5, 10.5, 12.5, -0.5, -0.5, -0.5, -0.5]);
    expectTensor(runOp('Conv', [x1, w1, b], { activation: 'clip', alpha: -2, beta: 10 }), 'f32', [1, 2, 2, 2], [6.5, 8.5, 10, 10, -2, -2, -2, -2]);
  });

  it('3x3 with padding 1 and stride 2 (cross-correlation, no kernel flip)', () => {
    // x = 1..16 in 4x4; channel 0 sums each window, channel 1 picks its bottom-right tap.
    const x = tensor('f32', [1, 1, 4, 4], iota(16));
    const w = tensor('f32', [2, 1, 3, 3], [...new Array(9).fill(1), 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    const y = runOp('Conv', [x, w], { strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1] });
    expectTensor(y, 'f32', [1, 2, 2, 2], [14, 30, 57, 99, 6, 8, 14, 16]);
  });

  it('grouped: each output channel sees only its group', () => {
    const x = tensor('f32', [1, 4, 1, 1], [1, 2, 3, 4]);
    const w = tensor('f32', [2, 2, 1, 1], [1, 10, 100, 1000]);
    expectTensor(runOp('Conv', [x, w], { groups: 2 }), 'f32', [1, 2, 1, 1], [21, 4300]);
  });

  it('depthwise (groups = channels)', () => {
    // c0 = 1..9 with kernel [[1,0],[0,-1]]; c1 = 10..18 with a 2x2 box.
    const x = tensor('f32', [1, 2, 3, 3], iota(18));
    const w = tensor('f32', [2, 1, 2, 2], [1, 0, 0, -1, 1, 1, 1, 1]);
    expectTensor(runOp('Conv', [x, w], { groups: 2 }), 'f32', [1, 2, 2, 2], [-4, -4, -4, -4, 48, 52, 60, 64]);
  });

  it('dilated: taps two apart', () => {
    // x[r][c] = 5r + c; y = x[i][j] + 2x[i][j+2] + 3x[i+2][j] + 4x[i+2][j+2] = 10(5i+j) + 82.
    const x = tensor('f32', [1, 1, 5, 5], iota(25, 0));
    const w = tensor('f32', [1, 1, 2, 2], [1, 2, 3, 4]);
    expectTensor(runOp('Conv', [x, w], { dilations: [2, 2] }), 'f32', [1, 1, 3, 3], [82, 92, 102, 132, 142, 152, 182, 192, 202]);
  });

  it('1-D, padded, with and without stride', () => {
    const x = tensor('f32', [1, 1, 5], [1, 2, 3, 4, 5]);
    const w = tensor('f32', [1, 1, 3], [1, 0, -1]);
    expectTensor(runOp('Conv', [x, w], { padsBegin: [1], padsEnd: [1] }), 'f32', [1, 1, 5], [-2, -2, -2, -2, 4]);
    expectTensor(runOp('Conv', [x, w], { strides: [2], padsBegin: [1], padsEnd: [1] }), 'f32', [1, 1, 3], [-2, -2, 4]);
  });

  it('3-D, with depth padding at the front only', () => {
    // x = 1..8 in 2x2x2; channel 0 all-ones weights, channel 1 weights 1..8.
    const x = tensor('f32', [1, 1, 2, 2, 2], iota(8));
    const w = tensor('f32', [2, 1, 2, 2, 2], [...new Array(8).fill(1), ...iota(8)]);
    expectTensor(runOp('Conv', [x, w]), 'f32', [1, 2, 1, 1, 1], [36, 204]);
    // Depth 0 of the output overlaps only the first input slice (1..4) with weight slice 2.
    expectTensor(runOp('Conv', [x, w], { padsBegin: [1, 0, 0], padsEnd: [0, 0, 0] }), 'f32', [1, 2, 2, 1, 1], [10, 36, 70, 204]);
  });

  it('batches independently', () => {
    const x = tensor('f32', [2, 1, 1, 2], [1, 2, 3, 4]);
    const w = tensor('f32', [1, 1, 1, 2], [1, 1]);
    expectTensor(runOp('Conv', [x, w]), 'f32', [2, 1, 1, 1], [3, 7]);
  });

  it('computes f16 and returns f16', () => {
    const y = runOp('Conv', [tensor('f16', [1, 1, 1, 2], [1, 2]), tensor('f16', [1, 1, 1, 2], [0.5, 0.25])]);
    expectTensor(y, 'f16', [1, 1, 1, 1], [1]);
  });

  it('rejects integer tensors', () => {
    const e = thrown(() => runOp('Conv', [tensor('i32', [1, 1, 1, 1], [1]), tensor('i32', [1, 1, 1, 1], [1])]));
    expect(e.message).toBe("layer 'y' (Conv): Conv computes on f32, f16 or bf16; input 'x' is i32[1,1,1,1]");
    expect(e.code).toBe('KILN_INTERPRET');
  });
});
