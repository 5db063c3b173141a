// FuseSiblings: Input vs Expected for sibling Convs and MatMuls, mixed biases, the
// split keeping every output's name, and siblings that differ and must stay apart.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { hasOp, verify } from '../../src/ir/index.js';
import { FuseSiblings, applyPass } from '../../passes/index.js';
import { CONV_ATTRS, expectSameOutputs, expectUnchanged, layer, weights } from './helpers.js';

const W1 = weights(2 * 3 * 9, 1);
const W2 = weights(4 * 3 * 9, 2);
const B1 = weights(2, 3);

function convPair(second: { kernel?: number; padding?: number; act?: boolean } = {}) {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 3, 6, 6]).relu('x1');
  const k = second.kernel ?? 3;
  const a = x.conv({ name: 'conv_a', outChannels: 2, kernel: [3, 3], weights: W1, bias: B1, padding: [1, 1] });
  const b = x.conv({ name: 'conv_b', outChannels: 4, kernel: [k, k], weights: k === 3 ? W2 : weights(4 * 3 * k * k, 2), padding: [second.padding ?? 1, second.padding ?? 1] });
  net.markOutput(a, 'ya');
  net.markOutput(second.act ? b.relu('rb') : b.sigmoid('sb'), 'yb');
  return net.graph;
}

describe.skipIf(!hasOp('Split'))('FuseSiblings', () => {
  it('merges sibling Convs into one wide Conv and a Split that keeps each output name', () => {
    const input = convPair();
    const out = applyPass(FuseSiblings, input);
    expect(out.nodes.map((n) => [n.op, n.name])).toEqual([['Relu', 'x1'], ['Conv', 'conv_a || conv_b'], ['Split', 'conv_a || conv_b.split'], ['Sigmoid', 'sb']]);
    const [, wide] = out.nodes;
    expect(Array.from(out.constants[wide!.inputs[1]!]!.data as Float32Array)).toEqual([...W1, ...W2]);
    expect(Array.from(out.constants[wide!.inputs[2]!]!.data as Float32Array)).toEqual([B1[0], B1[1], 0, 0, 0, 0]);
    expect(out.types[wide!.outputs[0]!]).toEqual({ dtype: 'f32', shape: [1, 6, 6, 6] });
    expect(wide!.attrs).toMatchObject({ ...CONV_ATTRS, padsBegin: [1, 1], padsEnd: [1, 1] });
    expect(out.nodes[1]).toMatchObject({ name: 'conv_a || conv_b', fused: ['conv_a', 'conv_b'] });
    expect(out.nodes[2]).toMatchObject({ op: 'Split', inputs: [wide!.outputs[0]], outputs: ['ya', 'conv_b'], attrs: { axis: 1, split: [2, 4] } });
    expectSameOutputs(input, out);
    verify(out);
  });

  it('merges fully connected siblings (with their bias fused) along the columns, transposed or not', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [3, 4]);
    const p = layer(net, 'MatMul', 'p', [x, net.constant('wp', weights(20, 1), [5, 4]), net.constant('bp', weights(5, 2), [5])], { transB: true });
    const q = layer(net, 'MatMul', 'q', [x, net.constant('wq', weights(8, 3), [2, 4])], { transB: true });
    const r = x.matmul(net.constant('wr', weights(12, 4), [4, 3]), { name: 'r' });
    const s = x.matmul(net.constant('ws', weights(8, 5), [4, 2]), { name: 's' });
    net.markOutput(net.concat([p, q, r, s], { axis: 1 }), 'y');
    const out = applyPass(FuseSiblings, net.graph);
    expect(out.nodes.filter((n) => n.op === 'MatMul').map((n) => n.name)).toEqual(['p || q', 'r || s']);
    expectSameOutputs(net.graph, out);
  });

  describe('must not change', () => {
    it('siblings with different kernels, padding or epilogues, and a lone Conv', () => {
      expectUnchanged(FuseSiblings, convPair({ kernel: 1, padding: 0 }));
      expectUnchanged(FuseSiblings, convPair({ padding: 0 }));
      const fused = applyPass(FuseSiblings, convPair());
      expectUnchanged(FuseSiblings, fused);
    });
  });
});
