// Softmax along each axis (checked by hand and by rows summing to 1) and Scale in
// its three modes, with and without power.
import { describe, expect, it } from 'vitest';
import { mulberry32, randomTensor, tensor, tensorValues } from '../../src/interpret/index.js';
import { expectTensor, runOp } from './graph-helpers.js';

describe('Softmax', () => {
  const x = tensor('f32', [2, 3], [1, 2, 3, 1, 1, 1]);
  const rows = [0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1 / 3, 1 / 3, 1 / 3];

  it('axis 1 and axis -1 normalize rows', () => {
    expectTensor(runOp('Softmax', [x], { axis: 1 }), 'f32', [2, 3], rows);
    expectTensor(runOp('Softmax', [x], { axis: -1 }), 'f32', [2, 3], rows);
    expectTensor(runOp('Softmax', [x]), 'f32', [2, 3], rows); // default axis -1
  });

  it('axis 0 normalizes columns', () => {
    // Columns (1,1), (2,1), (3,1): sigmoid(0), sigmoid(1), sigmoid(2) on top.
    const y = runOp('Softmax', [x], { axis: 0 });
    expectTensor(y, 'f32', [2, 3], [0.5, 0.7310585786300049, 0.8807970779778823, 0.5, 0.2689414213699951, 0.11920292202211769]);
  });

  it('slices along a middle axis sum to 1', () => {
    const t = randomTensor('f32', [2, 3, 4], mulberry32(7), { min: -5, max: 5 });
    const v = tensorValues(runOp('Softmax', [t], { axis: 1 }));
    for (let o = 0; o < 2; o++) {
      for (let i = 0; i < 4; i++) expect(v[o * 12 + i]! + v[o * 12 + 4 + i]! + v[o * 12 + 8 + i]!).toBeCloseTo(1, 6);
    }
  });

  it('does not overflow on large logits', () => {
    expectTensor(runOp('Softmax', [tensor('f32', [2], [1000, 1000])]), 'f32', [2], [0.5, 0.5]);
  });
});

describe('Scale', () => {
  const x = tensor('f32', [1, 2, 2], [1, 2, 3, 4]);
  const t = (v: number[]) => tensor('f32', [v.length], v);

  it('uniform: (2x + 1)^2', () => {
    expectTensor(runOp('Scale', [x, t([1]), t([2]), t([2])], { mode: 'uniform' }), 'f32', [1, 2, 2], [9, 25, 49, 81]);
  });

  it('channel: channel 0 identity, channel 1 (2x + 1)^2', () => {
    expectTensor(runOp('Scale', [x, t([0, 1]), t([1, 2]), t([1, 2])], { mode: 'channel' }), 'f32', [1, 2, 2], [1, 2, 49, 81]);
  });

  it('channel along another axis', () => {
    expectTensor(runOp('Scale', [x, t([10, 20])], { mode: 'channel', channelAxis: 2 }), 'f32', [1, 2, 2], [11, 22, 13, 24]);
    expectTensor(runOp('Scale', [x, t([10, 20])], { mode: 'channel', channelAxis: -1 }), 'f32', [1, 2, 2], [11, 22, 13, 24]);
  });

  it('elementwise, with a fractional power', () => {
    const p = (v: number[]) => tensor('f32', [1, 2, 2], v);
    const y = runOp('Scale', [x, p([0, 0, 0, 1]), p([1, 1, 2, 1]), p([1, 2, 1, 0.5])], { mode: 'elementwise' });
    expectTensor(y, 'f32', [1, 2, 2], [1, 4, 6, Math.sqrt(5)]);
  });

  it('absent parameters are identities', () => {
    expectTensor(runOp('Scale', [x], { mode: 'uniform' }), 'f32', [1, 2, 2], [1, 2, 3, 4]);
    expectTensor(runOp('Scale', [x, undefined, t([3])], { mode: 'uniform' }), 'f32', [1, 2, 2], [3, 6, 9, 12]);
    expectTensor(runOp('Scale', [x, undefined, undefined, t([2])], { mode: 'uniform' }), 'f32', [1, 2, 2], [1, 4, 9, 16]);
  });
});
