// ConvNhwc, the conv on NHWC tensors layout assignment makes (src/ir/ops/conv.ts): the
// Conv depthwise case of conv.test.ts with x and y in NHWC gives the same numbers,
// permuted; so does a groups-1 conv with a residual; its inference refuses what is
// neither depthwise nor groups 1 on an NHWC input.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/interpret/index.js';
import { expectTensor, runOp, thrown } from './graph-helpers.js';

// NCHW x [1,2,3,3] = 1..18 written NHWC: pixel (h,w) holds [h*3+w+1, 9+h*3+w+1].
const x = tensor('f32', [1, 3, 3, 2], Array.from({ length: 18 }, (_, i) => (i % 2) * 9 + Math.floor(i / 2) + 1));
// c0's kernel [[1,0],[0,-1]], c1's a 2x2 box (as in conv.test.ts's depthwise case).
const w = tensor('f32', [2, 1, 2, 2], [1, 0, 0, -1, 1, 1, 1, 1]);

describe('ConvNhwc', () => {
  it('is the depthwise Conv on NHWC tensors', () => {
    expectTensor(runOp('ConvNhwc', [x, w], { groups: 2 }), 'f32', [1, 2, 2, 2], [-4, 48, -4, 52, -4, 60, -4, 64]);
  });

  it('adds the bias and applies the epilogue per channel, the last dim', () => {
    const b = tensor('f32', [2], [0.5, -1]);
    expectTensor(runOp('ConvNhwc', [x, w, b], { groups: 2, activation: 'relu' }), 'f32', [1, 2, 2, 2], [0, 47, 0, 51, 0, 59, 0, 63]);
    // Padding 1 and stride 2 over the 3x3 plane: 2x2 outputs, windows at -1 and 1.
    expectTensor(runOp('ConvNhwc', [x, w], { groups: 2, strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1] }), 'f32', [1, 2, 2, 2],
      [-1, 10, -3, 23, -7, 29, -4, 64]);
  });

  it('refuses an input that is not 4-d and a conv that is not depthwise', () => {
    expect(thrown(() => runOp('ConvNhwc', [tensor('f32', [3, 3, 2], new Array(18).fill(0)), w], { groups: 2 })).message)
      .toContain("input 'x' must be NHWC [N,H,W,C], got f32[3,3,2]");
    expect(thrown(() => runOp('ConvNhwc', [x, w], { groups: 1 })).message)
      .toContain("weights 'w' f32[2,1,2,2] expect 1 input channels (groups 1), input 'x' f32[1,2,3,3] has 2");
    expect(thrown(() => runOp('ConvNhwc', [x, tensor('f32', [2, 2, 2, 2], new Array(16).fill(0))], { groups: 2 })).message)
      .toContain("ConvNhwc is depthwise or has groups 1: groups 2 and weights 'w' f32[2,2,2,2] must match the 2 channels of input 'x' f32[1,3,3,2] ([C,1,kh,kw])");
    expect(thrown(() => runOp('ConvNhwc', [x, tensor('f32', [1, 2, 2, 2], new Array(8).fill(0)), undefined, tensor('f32', [2, 2, 1], new Array(4).fill(0))], { groups: 1 })).message)
      .toContain('residual must be NHWC [N,H,W,C], got f32[2,2,1]');
  });

  it('with groups 1 sums every input channel, and adds an NHWC residual before the activation', () => {
    // Two output channels over both input channels: o0 = c0's [[1,0],[0,-1]] + c1's box, o1 = -(c1's box).
    const w1 = tensor('f32', [2, 2, 2, 2], [1, 0, 0, -1, 1, 1, 1, 1, 0, 0, 0, 0, -1, -1, -1, -1]);
    expectTensor(runOp('ConvNhwc', [x, w1], { groups: 1 }), 'f32', [1, 2, 2, 2], [44, -48, 48, -52, 56, -60, 60, -64]);
    const residual = tensor('f32', [1, 2, 2, 2], [0, 100, 1, 50, 2, 61, 3, 0]);
    expectTensor(runOp('ConvNhwc', [x, w1, undefined, residual], { groups: 1, activation: 'relu' }), 'f32', [1, 2, 2, 2], [44, 52, 49, 0, 58, 1, 63, 0]);
  });
});
