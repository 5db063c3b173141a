// The reduce family's DSL methods: shapes they infer (symbolic dims kept), TopK's two
// named outputs, and the errors a user can cause, messages asserted.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { formatType } from '../../src/ir/index.js';

const t = (x: { type: Parameters<typeof formatType>[0] }) => formatType(x.type);

describe('reduce DSL', () => {
  it('infers reductions, arg reductions, topK and cumSum with symbolic dims', () => {
    const n = new Network();
    const x = n.input('x', 'f32', ['batch', 'seq', 8]);
    expect(t(x.reduceMean([-1]))).toBe('f32[batch,seq,1]');
    expect(t(x.reduceSum([1], { keepDims: false }))).toBe('f32[batch,8]');
    expect(t(x.reduce('logSumExp'))).toBe('f32[1,1,1]');
    expect(t(x.reduceL2([], { noopWithEmptyAxes: true }))).toBe('f32[batch,seq,8]');
    expect(t(x.argMax(-1, { keepDims: false }))).toBe('i64[batch,seq]');
    expect(t(x.argMin())).toBe('i64[1,seq,8]');
    const { values, indices } = x.topK(3, { name: 'top' });
    expect([values.toString(), indices.toString()]).toEqual(['top: f32[batch,seq,3]', 'top.indices: i64[batch,seq,3]']);
    expect(t(x.cumSum(1, { reverse: true }))).toBe('f32[batch,seq,8]');
    expect(t(x.logSoftmax())).toBe('f32[batch,seq,8]');
    expect(t(x.hardmax(1))).toBe('f32[batch,seq,8]');
  });

  it('infers the normalizations with weights or tensors as parameters', () => {
    const n = new Network();
    const x = n.input('x', 'f32', ['batch', 16, 4, 4]);
    expect(t(x.layerNorm({ scale: new Float32Array(256), bias: 0, axis: 1 }))).toBe('f32[batch,16,4,4]');
    expect(t(x.instanceNorm({ scale: 1, bias: 0 }))).toBe('f32[batch,16,4,4]');
    const stat = n.input('var', 'f32', [16]);
    expect(t(x.batchNorm({ scale: 1, bias: 0, mean: 0, var: stat, epsilon: 1e-3 }))).toBe('f32[batch,16,4,4]');
  });

  it('errors name the layer, the argument and the shapes', () => {
    const n = new Network();
    const x = n.input('x', 'f32', [2, 3]);
    expect(() => x.reduceSum([2], { name: 'r' })).toThrow("layer 'r' (Reduce): axis 2 is out of range for rank 2 (input 'x' f32[2,3])");
    expect(() => x.topK(4, { name: 'k' })).toThrow("layer 'k' (TopK): k 4 must be in 0..3 (dim 1 of input 'x' f32[2,3])");
    expect(() => x.layerNorm({ name: 'ln', scale: [1, 2] })).toThrow("layer 'ln': argument 'scale': expected 3 values (f32[3]), received 2");
    expect(() => x.layerNorm({ name: 'ln2', scale: 1, axis: 2 })).toThrow("layer 'ln2': axis 2 is out of range for x: f32[2,3]");
    expect(() => n.input('s', 'f32', ['batch', 'seq']).layerNorm({ name: 'ln3', scale: 1 })).toThrow("layer 'ln3': argument 'scale' as weights needs static dims, s: f32[batch,seq] normalizes [seq]");
    const stat = n.input('m', 'f32', [4]);
    expect(() => n.input('y', 'f32', [1, 3, 5]).batchNorm({ name: 'bn', scale: 1, bias: 0, mean: stat, var: 1 }))
      .toThrow("layer 'bn' (BatchNormalization): 'mean' must be f32[3] for input 'x' f32[1,3,5], got f32[4]");
    expect(() => n.input('i', 'i32', [4]).reduceMean()).toThrow("mode 'mean' takes f32, f16, bf16; input 'x' is i32[4]");
  });
});
