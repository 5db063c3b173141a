// LayerNormalization, InstanceNormalization, BatchNormalization, LogSoftmax and
// Hardmax in the interpreter, checked by hand, plus their inference errors.
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/interpret/index.js';
import { formatType, inferNode, type Attrs, type TensorType } from '../../src/ir/index.js';
import { expectTensor, runOp, thrown } from './graph-helpers.js';

const f = (shape: number[], v: number[]) => tensor('f32', shape, v);
const inv = (variance: number, eps = 1e-5) => 1 / Math.sqrt(variance + eps);

describe('LayerNormalization', () => {
  const x = f([2, 3], [1, 2, 3, 2, 2, 2]);
  it('normalizes the last axis, then scales and shifts', () => {
    const k = inv(2 / 3);
    const y = runOp('LayerNormalization', [x, f([3], [1, 2, 3]), f([3], [0, 0, 1])]);
    expectTensor(y, 'f32', [2, 3], [-k, 0, 3 * k + 1, 0, 0, 1], 5);
  });
  it('bias is optional; a constant row normalizes to 0', () => {
    expectTensor(runOp('LayerNormalization', [x, f([3], [1, 1, 1])]), 'f32', [2, 3], [-inv(2 / 3), 0, inv(2 / 3), 0, 0, 0], 5);
  });
  it('axis 0 normalizes over every dim; epsilon is honoured', () => {
    // mean 2, variance (1 + 0 + 1 + 0 + 0 + 0) / 6 = 1/3
    const k = inv(1 / 3, 0.5);
    const y = runOp('LayerNormalization', [x, f([2, 3], [1, 1, 1, 1, 1, 1])], { axis: 0, epsilon: 0.5 });
    expectTensor(y, 'f32', [2, 3], [-k, 0, k, 0, 0, 0], 5);
  });
  it('scale broadcasts onto the normalized dims', () => {
    const y = runOp('LayerNormalization', [f([1, 2, 2], [1, 3, 5, 7]), f([2, 1], [1, 2])], { axis: 1 });
    const k = inv(5);
    expectTensor(y, 'f32', [1, 2, 2], [-3 * k, -k, 2 * k, 6 * k], 5);
  });
});

describe('InstanceNormalization and BatchNormalization', () => {
  it('instance norm normalizes each (n, c) over the spatial dims', () => {
    const x = f([1, 2, 2], [1, 3, 2, 6]);
    const y = runOp('InstanceNormalization', [x, f([2], [1, 2]), f([2], [0, 10])]);
    expectTensor(y, 'f32', [1, 2, 2], [-inv(1), inv(1), 10 - 2 * inv(4) * 2, 10 + 2 * inv(4) * 2], 5);
  });
  it('batch norm applies the stored statistics per channel', () => {
    const x = f([1, 2, 1, 2], [1, 2, 3, 4]);
    const p = (v: number[]) => f([2], v);
    const y = runOp('BatchNormalization', [x, p([1, 2]), p([0, 1]), p([1, 2]), p([4, 1])], { epsilon: 0 });
    expectTensor(y, 'f32', [1, 2, 1, 2], [0, 0.5, 3, 5], 6);
  });
});

describe('LogSoftmax and Hardmax', () => {
  it('log softmax along the last and the first axis', () => {
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expectTensor(runOp('LogSoftmax', [f([1, 3], [1, 2, 3])]), 'f32', [1, 3], [1 - lse, 2 - lse, 3 - lse], 5);
    const two = Math.log(1 + Math.exp(1));
    expectTensor(runOp('LogSoftmax', [f([2, 1], [1, 2])], { axis: 0 }), 'f32', [2, 1], [-two, 1 - two], 5);
  });
  it('log softmax is stable for large logits', () => {
    expectTensor(runOp('LogSoftmax', [f([2], [1000, 1000])]), 'f32', [2], [-Math.LN2, -Math.LN2], 5);
  });
  it('hardmax marks the first maximum', () => {
    expectTensor(runOp('Hardmax', [f([2, 3], [1, 3, 3, 2, 0, 1])]), 'f32', [2, 3], [0, 1, 0, 1, 0, 0]);
    expectTensor(runOp('Hardmax', [f([2, 3], [1, 3, 3, 2, 0, 1])], { axis: 0 }), 'f32', [2, 3], [0, 1, 1, 1, 0, 0]);
  });
});

describe('normalization inference errors', () => {
  const infer = (op: string, types: (TensorType | undefined)[], attrs: Attrs = {}) => inferNode({ name: 'n', op, inputs: types.map((_, i) => `i${i}`), outputs: ['n'], attrs }, types);
  const t = (dtype: 'f32' | 'i32', shape: (number | string)[]): TensorType => ({ dtype, shape });
  it('layer norm keeps symbolic dims', () => {
    expect(formatType(infer('LayerNormalization', [t('f32', ['batch', 'seq', 8]), t('f32', [8]), t('f32', [8])])[0]!)).toBe('f32[batch,seq,8]');
  });
  it('layer norm scale of the wrong shape', () => {
    expect(thrown(() => infer('LayerNormalization', [t('f32', [2, 3, 8]), t('f32', [3])])).message)
      .toBe("layer 'n' (LayerNormalization): 'scale' must be f32[8] (or broadcast onto it) for input 'x' f32[2,3,8], got f32[3]");
    expect(thrown(() => infer('LayerNormalization', [t('f32', [2, 8]), t('f32', [8])], { axis: 2 })).message)
      .toBe("layer 'n' (LayerNormalization): axis 2 is out of range for input 'x' f32[2,8]");
    expect(thrown(() => infer('LayerNormalization', [t('i32', [2, 8]), t('i32', [8])])).message)
      .toBe("layer 'n' (LayerNormalization): input 'x' must be a float tensor, got i32[2,8]");
  });
  it('instance and batch norm need [N,C,...] and per-channel parameters', () => {
    expect(thrown(() => infer('InstanceNormalization', [t('f32', [2, 3]), t('f32', [3]), t('f32', [3])])).message)
      .toBe("layer 'n' (InstanceNormalization): input 'x' must be [N,C,D...] (rank >= 3), got f32[2,3]");
    const c = t('f32', [3]);
    expect(thrown(() => infer('BatchNormalization', [t('f32', [1, 3, 4, 4]), c, c, t('f32', [4]), c])).message)
      .toBe("layer 'n' (BatchNormalization): 'mean' must be f32[3] for input 'x' f32[1,3,4,4], got f32[4]");
  });
});
