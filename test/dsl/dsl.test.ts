// DSL: shape inference per op and the errors a user can cause, messages asserted.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { formatType } from '../../src/ir/index.js';

const ones = (n: number) => new Float32Array(n).fill(1);

function net() {
  return new Network({ name: 't', weights: new Map([['w', { dtype: 'f32' as const, shape: [4, 3, 3, 3], data: ones(108) }]]) });
}

describe('DSL shape inference', () => {
  it('infers every op of SampleMNIST with a symbolic batch', () => {
    const n = net();
    const x = n.input('data', 'f32', ['batch', 3, 8, 8]);
    const c = x.conv({ name: 'c', outChannels: 4, kernel: [3, 3], weights: 'w', padding: [1, 1], strides: [2, 2] });
    expect(formatType(c.type)).toBe('f32[batch,4,4,4]');
    expect(formatType(c.maxPool({ kernel: [2, 2] }).type)).toBe('f32[batch,4,2,2]');
    expect(formatType(c.avgPool({ kernel: [3, 3], strides: [1, 1], padding: [1, 1] }).type)).toBe('f32[batch,4,4,4]');
    const fc = c.fullyConnected({ name: 'fc', outputs: 5, weights: ones(5 * 64), bias: ones(5) });
    expect(formatType(fc.type)).toBe('f32[batch,5]');
    expect(formatType(fc.relu().softmax(1).type)).toBe('f32[batch,5]');
    expect(formatType(x.transpose([0, 2, 3, 1]).type)).toBe('f32[batch,8,8,3]');
    expect(formatType(x.reshape([0, -1]).type)).toBe('f32[batch,192]');
    expect(formatType(x.shuffle({ firstTranspose: [0, 2, 3, 1], reshape: [0, 64, 3] }).type)).toBe('f32[batch,64,3]');
    expect(formatType(n.concat([x, x], { axis: 1 }).type)).toBe('f32[batch,6,8,8]');
    expect(formatType(x.add(n.input('b', 'f32', [3, 1, 1])).type)).toBe('f32[batch,3,8,8]');
    expect(formatType(x.mul(2).type)).toBe('f32[batch,3,8,8]');
    expect(formatType(x.scale({ mode: 'channel', scale: [1, 2, 3], shift: 0.5 }).type)).toBe('f32[batch,3,8,8]');
  });

  it('infers N-d convolution with dilation and groups', () => {
    const n = new Network();
    const x1 = n.input('x1', 'f32', [1, 4, 10]);
    expect(formatType(x1.conv({ outChannels: 2, kernel: [3], weights: ones(2 * 2 * 3), groups: 2, dilations: [2] }).type)).toBe('f32[1,2,6]');
    const x3 = n.input('x3', 'f32', [1, 1, 4, 5, 6]);
    expect(formatType(x3.conv({ outChannels: 2, kernel: [2, 2, 2], weights: ones(16) }).type)).toBe('f32[1,2,3,4,5]');
  });

  it('matmul honours transpose flags and broadcasts batch dims', () => {
    const n = new Network();
    const a = n.input('a', 'f32', [2, 1, 3, 4]);
    const b = n.input('b', 'f32', [5, 5, 4]);
    expect(formatType(a.matmul(b, { transB: true }).type)).toBe('f32[2,5,3,5]');
  });
});

describe('DSL errors name the layer, the argument and the shapes', () => {
  it('conv weights of the wrong shape', () => {
    const x = net().input('data', 'f32', [1, 3, 8, 8]);
    expect(() => x.conv({ name: 'conv1', outChannels: 4, kernel: [5, 5], weights: 'w' }))
      .toThrow("layer 'conv1': argument 'weights': expected f32[4,3,5,5], received f32[4,3,3,3]");
  });
  it('unknown named weights list what exists', () => {
    const x = net().input('data', 'f32', [1, 3, 8, 8]);
    expect(() => x.conv({ name: 'conv1', outChannels: 4, kernel: [3, 3], weights: 'conv1.weight' }))
      .toThrow("layer 'conv1': argument 'weights': weights 'conv1.weight' are not in the network's weights (it has: w)");
  });
  it('a flat array of the wrong length', () => {
    const x = net().input('data', 'f32', [1, 3, 8, 8]);
    expect(() => x.conv({ name: 'c', outChannels: 2, kernel: [1, 1], weights: ones(5) })).toThrow("layer 'c': argument 'weights': expected 6 values (f32[2,3,1,1]), received 5");
  });
  it('groups that do not divide the channels', () => {
    const x = net().input('data', 'f32', [1, 3, 8, 8]);
    expect(() => x.conv({ name: 'g', outChannels: 4, kernel: [1, 1], weights: ones(4), groups: 2 })).toThrow("layer 'g': groups 2 must divide the 3 input channels of data: f32[1,3,8,8]");
  });
  it('a window that does not fit', () => {
    const x = new Network().input('data', 'f32', [1, 1, 4, 4]);
    expect(() => x.maxPool({ name: 'p', kernel: [5, 5] })).toThrow("layer 'p' (Pool): window 5x5 (dilation 1x1) does not fit input 'x' f32[1,1,4,4] with padding [0,0]+[0,0]");
  });
  it('shapes that do not broadcast', () => {
    const n = new Network();
    const a = n.input('a', 'f32', [2, 3]);
    expect(() => a.add(n.input('b', 'f32', [4]), 'sum')).toThrow("layer 'sum' (Add): f32[2,3] and f32[4]: shapes [2,3] and [4] do not broadcast (dim 1: 3 vs 4)");
  });
  it('mixed dtypes', () => {
    const n = new Network();
    expect(() => n.input('a', 'f32', [2]).add(n.input('b', 'i32', [2]), 'mix')).toThrow("layer 'mix' (Add): inputs must have one dtype, got f32[2] and i32[2]");
  });
  it('matmul inner dims', () => {
    const n = new Network();
    expect(() => n.input('a', 'f32', [2, 3]).matmul(n.input('b', 'f32', [4, 5]), { name: 'mm' }))
      .toThrow("layer 'mm' (MatMul): inner dims differ: 'a' f32[2,3] has K=3, 'b' f32[4,5] has K=4");
  });
  it('reshape volume', () => {
    const x = new Network().input('a', 'f32', [2, 3]);
    expect(() => x.reshape([4, 2], 'r')).toThrow("layer 'r' (Reshape): cannot reshape [2,3] (6 static elements) to [4,2] (8)");
    expect(() => x.reshape([-1, -1], 'r2')).toThrow('has more than one -1');
  });
  it('transpose perm, softmax axis, concat mismatch', () => {
    const n = new Network();
    const a = n.input('a', 'f32', [2, 3]);
    expect(() => a.transpose([0, 0], 't')).toThrow("layer 't' (Transpose): perm [0,0] is not a permutation of the 2 dims of input 'x' f32[2,3]");
    expect(() => a.softmax(2, 's')).toThrow("layer 's' (Softmax): axis 2 is out of range for input 'x' f32[2,3]");
    expect(() => n.concat([a, n.input('b', 'f32', [3, 3])], { axis: 1, name: 'cat' })).toThrow("layer 'cat' (Concat): input 1 f32[3,3] does not match input 0 f32[2,3] outside axis 1");
  });
  it('scale weights that do not fit the mode', () => {
    const x = new Network().input('a', 'f32', [1, 3, 2, 2]);
    expect(() => x.scale({ name: 'sc', mode: 'channel', scale: [1, 2] })).toThrow("layer 'sc': argument 'scale': expected 3 values (f32[3]), received 2");
  });
  it('names, tensors of other networks, outputs', () => {
    const n = new Network({ name: 'one' });
    const a = n.input('a', 'f32', [2]);
    expect(() => n.input('a', 'f32', [2])).toThrow("input 'a': name 'a' is already used in network 'one'");
    expect(() => a.relu('r').relu('r')).toThrow("layer name 'r' is already used in network 'one'");
    const other = new Network({ name: 'two' }).input('z', 'f32', [2]);
    expect(() => a.add(other, 'x')).toThrow("layer 'x': argument 'input 1' is not a tensor of network 'one'");
    expect(() => n.input('bad', 'f33' as never, [1])).toThrow("input 'bad': unknown dtype 'f33'");
    expect(() => n.input('bad2', 'f32', [1.5])).toThrow("input 'bad2': shape must be a list of non-negative integers or dim names, received [1.5]");
    expect(() => new Network().graph).toThrow('the network has no outputs; mark at least one with markOutput');
  });
});

describe('markOutput', () => {
  it('renames the value to the output name everywhere', () => {
    const n = new Network();
    const y = n.input('a', 'f32', [2]).relu('r');
    n.markOutput(y, 'out');
    expect(y.name).toBe('out');
    const g = n.graph;
    expect(g.outputs).toEqual(['out']);
    expect(g.nodes[0]!.outputs).toEqual(['out']);
  });
});
