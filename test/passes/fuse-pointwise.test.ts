// FusePointwise and the Pointwise op: Input vs Expected for a chain and an in-tree,
// the program as data, groups that must not form, and the op's own checks.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { hasOp, makeGraph, verify } from '../../src/ir/index.js';
import { interpret } from '../../src/interpret/index.js';
import { FusePointwise, applyPass } from '../../passes/index.js';
import { expectGraph, expectSameOutputs, expectUnchanged, layer, weights } from './helpers.js';

describe('FusePointwise', () => {
  it('fuses a chain of elementwise layers with constants into one Pointwise layer', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 4]).matmul(net.constant('w', weights(16), [4, 4]), { name: 'mm' });
    const c = net.constant('c', [1, 2, 3, 4], [4]);
    net.markOutput(x.mul(c, 'mul').add(0.5, 'add').leakyRelu(0.2, 'lrelu').sigmoid('sig'), 'y');
    const input = net.graph;

    const expected = new Network();
    const ex = expected.input('x', 'f32', [2, 4]).matmul(expected.constant('w', weights(16), [4, 4]), { name: 'mm' });
    const program = { ops: ['Mul', 'Add', 'LeakyRelu', 'Sigmoid'], args: [0, 1, 3, 2, 4, -1, 5, -1], params: [0, 0, 0, 0, 0.2, 0, 0, 0] };
    expected.markOutput(layer(expected, 'Pointwise', 'p', [ex, expected.constant('c', [1, 2, 3, 4], [4]), expected.constant('h', [0.5], [1])], program), 'y');

    const out = applyPass(FusePointwise, input);
    expectGraph(out, expected.graph);
    expect(out.nodes[1]).toMatchObject({ name: 'mul + add + lrelu + sig', fused: ['mul', 'add', 'lrelu', 'sig'], outputs: ['y'] });
    // Each instruction runs through its op's own kernel: bit for bit the same outputs.
    expectSameOutputs(input, out, { rtol: 0, atol: 0 });
    verify(out);
  });

  it('fuses an in-tree (two branches meeting) and reads a shared input once', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [3, 5]);
    const y = net.input('y', 'f32', [1, 5]);
    net.markOutput(x.tanh('t').mul(x.sigmoid('s'), 'm').sub(y.relu('r'), 'd'), 'z');
    const out = applyPass(FusePointwise, net.graph);
    expect(out.nodes).toHaveLength(1);
    expect(out.nodes[0]!.inputs).toEqual(['x', 'y']);
    expect(out.nodes[0]!.attrs.ops).toEqual(['Tanh', 'Sigmoid', 'Mul', 'Relu', 'Sub']);
    expectSameOutputs(net.graph, out, { rtol: 0, atol: 0 });
  });

  it.skipIf(!hasOp('Erf'))('takes elementwise ops from the registry, such as Erf and Exp', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [4]);
    net.markOutput(layer(net, 'Exp', 'e', [layer(net, 'Erf', 'f', [x], {})], {}).relu('r'), 'y');
    const out = applyPass(FusePointwise, net.graph);
    expect(out.nodes.map((n) => n.attrs.ops)).toEqual([['Erf', 'Exp', 'Relu']]);
    expectSameOutputs(net.graph, out, { rtol: 0, atol: 0 });
  });

  describe('must not change', () => {
    it('a value read twice or marked as output splits groups; lone layers stay', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [2, 3]);
      const a = x.relu('a');
      net.markOutput(a.sigmoid('s'), 'p');
      net.markOutput(a.tanh('t'), 'q');
      expectUnchanged(FusePointwise, net.graph);
      const out = new Network();
      const b = out.input('x', 'f32', [2, 3]).relu('b');
      out.markOutput(b, 'mid');
      out.markOutput(b.tanh('t'), 'end');
      expectUnchanged(FusePointwise, out.graph);
    });

    it('layers that are not elementwise, and a graph already fused', () => {
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [2, 3]).softmax(1, 'sm').reshape([3, 2]).relu(), 'y');
      expectUnchanged(FusePointwise, net.graph);
      const chain = new Network();
      chain.markOutput(chain.input('x', 'f32', [2]).relu().tanh().sigmoid(), 'y');
      expectUnchanged(FusePointwise, applyPass(FusePointwise, chain.graph));
    });
  });
});

describe('the Pointwise op', () => {
  const t = { dtype: 'f32', shape: [2] } as const;
  const graph = (attrs: Record<string, unknown>) => makeGraph({
    inputs: ['x'], outputs: ['y'], types: { x: t, y: t }, constants: {},
    nodes: [{ name: 'p', op: 'Pointwise', inputs: ['x'], outputs: ['y'], attrs: attrs as never }],
  });

  it('runs its program through the interpreter', () => {
    const out = interpret(graph({ ops: ['Mul', 'Clip'], args: [0, 0, 1, -1], params: [0, 0, 0, 2] }), { x: { dtype: 'f32', shape: [2], data: Float32Array.from([-1, 3]) } });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 2]);
  });

  it('refuses malformed programs, naming the instruction', () => {
    expect(() => verify(graph({ ops: ['Relu'], args: [1, -1], params: [0, 0] }))).toThrow("layer 'p' (Pointwise): instruction 0 (Relu) reads register 1; only 0..0 exist then");
    expect(() => verify(graph({ ops: ['Softmax'], args: [0, -1], params: [0, 0] }))).toThrow("instruction 0: 'Softmax' is not an elementwise op a program may use");
    expect(() => verify(graph({ ops: ['Relu'], args: [0, 0], params: [0, 0] }))).toThrow('instruction 0 (Relu) takes one operand; its second arg must be -1');
    expect(() => verify(graph({ ops: ['Relu', 'Tanh'], args: [0, -1], params: [0, 0] }))).toThrow('a program of 2 instructions needs 4 args and params, got 2 and 2');
  });
});
