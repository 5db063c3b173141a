// EraseIdentities: Input vs Expected for every identity it knows, merged reshapes and
// composed transposes, the graph-output case, and what must not change.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { hasOp, verify } from '../../src/ir/index.js';
import { EraseIdentities, applyPass } from '../../passes/index.js';
import { expectGraph, expectSameOutputs, expectUnchanged, layer } from './helpers.js';

/** x[2,3,4] -> relu 'a' -> then(...) -> tanh 'out'. */
function around(then: (net: Network, a: ReturnType<Network['input']>) => ReturnType<Network['input']>) {
  const net = new Network();
  const a = net.input('x', 'f32', [2, 3, 4]).relu('a');
  net.markOutput(then(net, a).tanh('out'), 'y');
  return net.graph;
}

const plain = around((_net, a) => a);

describe('EraseIdentities', () => {
  it('erases Mul by 1, Add of 0, Sub of 0, Div by 1 and Pow 1, constants on either side and broadcast', () => {
    const input = around((net, a) => {
      const ones = net.constant('ones', new Float32Array(4).fill(1), [1, 4]);
      const zeros = net.constant('zeros', new Float32Array(3), [3, 1]);
      const z = net.constant('z', [0], [1]);
      return ones.mul(a.add(zeros, 'add0'), 'mul1').sub(z, 'sub0').div(1, 'div1').pow(1, 'pow1');
    });
    const out = applyPass(EraseIdentities, input);
    expectGraph(out, plain);
    expect(Object.keys(out.constants)).toEqual([]);
    verify(out);
  });

  it('erases a Scale with identity parameters, a Reshape to the same shape and an identity Transpose', () => {
    const input = around((_net, a) => a
      .scale({ name: 's', mode: 'channel', channelAxis: 1, scale: [1, 1, 1], shift: [0, 0, 0], power: [1, 1, 1] })
      .scale({ name: 'bare', mode: 'uniform' })
      .reshape([2, 3, 4], 'same').reshape([0, 0, -1], 'same2')
      .transpose([0, 1, 2], 'id'));
    expectGraph(applyPass(EraseIdentities, input), plain);
  });

  it('merges a chain of Reshapes into one with the final, resolved shape', () => {
    const input = around((_net, a) => a.reshape([6, 4], 'r1').reshape([-1], 'r2').reshape([4, 0, 6].map((d, i) => (i === 1 ? 1 : d)), 'r3').reshape([0, 6], 'r4'));
    const expected = around((_net, a) => layer(a.network, 'Reshape', 'r4', [a], { shape: [4, 6] }));
    const out = applyPass(EraseIdentities, input);
    expectGraph(out, expected);
    expect(out.nodes.map((n) => n.name)).toEqual(['a', 'r4', 'out']);
    expectSameOutputs(input, out);
  });

  it('composes Transposes and erases pairs that cancel', () => {
    const cancel = around((_net, a) => a.transpose([2, 0, 1], 't1').transpose([1, 2, 0], 't2'));
    expectGraph(applyPass(EraseIdentities, cancel), plain);
    const compose = around((_net, a) => a.transpose([1, 0, 2], 't1').transpose([0, 2, 1], 't2'));
    const expected = around((_net, a) => a.transpose([1, 2, 0], 't2'));
    const out = applyPass(EraseIdentities, compose);
    expectGraph(out, expected);
    expectSameOutputs(compose, out);
  });

  it('turns a Transpose that moves only size-1 dims into a Reshape, which then merges', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [16, 256]);
    net.markOutput(x.relu('a').reshape([16, 1, 256], 'r').transpose([1, 0, 2], 't').tanh('out'), 'y');
    const expected = new Network();
    expected.markOutput(expected.input('x', 'f32', [16, 256]).relu('a').reshape([1, 16, 256], 't').tanh('out'), 'y');
    const out = applyPass(EraseIdentities, net.graph);
    expectGraph(out, expected.graph);
    expect(out.nodes.map((n) => n.name)).toEqual(['a', 't', 'out']);
    expectSameOutputs(net.graph, out);
    const moves = new Network();
    moves.markOutput(moves.input('x', 'f32', [2, 1, 3]).transpose([2, 1, 0], 't'), 'y');
    expectUnchanged(EraseIdentities, moves.graph);
  });

  it('keeps the inner layer of a merge when someone else reads it', () => {
    const net = new Network();
    const t1 = net.input('x', 'f32', [2, 3]).transpose([1, 0], 't1');
    net.markOutput(t1.transpose([1, 0], 't2').relu('r'), 'y');
    net.markOutput(t1.sigmoid('s'), 'z');
    const out = applyPass(EraseIdentities, net.graph);
    expect(out.nodes.map((n) => [n.name, n.inputs[0]])).toEqual([['t1', 'x'], ['r', 'x'], ['s', 't1']]);
    expectSameOutputs(net.graph, out);
  });

  it('erases an identity whose output is a network output by renaming its input', () => {
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [2, 3]).relu('r').mul(1, 'm'), 'y');
    const out = applyPass(EraseIdentities, net.graph);
    expect(out.nodes.map((n) => [n.name, n.outputs[0]])).toEqual([['r', 'y']]);
    expect(out.outputs).toEqual(['y']);
    expect(Object.keys(out.types).sort()).toEqual(['x', 'y']);
    verify(out);
  });

  it.skipIf(!hasOp('Cast'))('erases a Cast to the same dtype', () => {
    const input = around((net, a) => layer(net, 'Cast', 'c', [a], { to: 'f32' }));
    expectGraph(applyPass(EraseIdentities, input), plain);
  });

  describe('must not change', () => {
    it('a broadcast that grows the tensor, or a Mul by a non-1 constant', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [1, 4]);
      net.markOutput(x.add(net.constant('zeros', new Float32Array(12), [3, 4]), 'grow'), 'a');
      net.markOutput(x.mul(net.constant('c', [1, 1, 1, 2], [4]), 'm'), 'b');
      net.markOutput(net.constant('ones', [1, 1, 1, 1], [4]).div(x, 'recip'), 'r');
      expectUnchanged(EraseIdentities, net.graph);
    });

    it('an identity between a network input and a network output (the engine must copy)', () => {
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [2]).mul(1, 'm'), 'y');
      expectUnchanged(EraseIdentities, net.graph);
    });

    it('a real Reshape, a real Transpose and a Scale with power 2', () => {
      expectUnchanged(EraseIdentities, around((_net, a) => a.reshape([6, 4]).transpose([1, 0]).scale({ mode: 'uniform', power: [2] })));
    });
  });
});
