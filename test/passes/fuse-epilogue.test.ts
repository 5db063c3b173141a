// FuseEpilogues: Input vs Expected graphs, the chains that must not fuse, and the
// naming, `fused` and `types` bookkeeping of the fused layer.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { printGraph, structuralEqual, structuralHash, verify, type Graph } from '../../src/ir/index.js';
import { FuseEpilogues, applyPass } from '../../passes/index.js';
import { CONV_ATTRS, layer, weights } from './helpers.js';

const W = weights(2 * 2 * 3 * 3, 1);
const B = weights(2, 2);
const FW = weights(3 * 4, 3);
const FB = weights(3, 4);

function expectEqual(actual: Graph, expected: Graph): void {
  if (!structuralEqual(actual, expected)) expect(printGraph(actual)).toBe(printGraph(expected));
}

function convNet(then: (net: Network, y: ReturnType<Network['input']>) => void): Graph {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 2, 5, 5]);
  then(net, x.conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: W, bias: B }));
  return net.graph;
}

const fused = (g: Graph) => g.nodes.find((n) => n.fused);

describe('FuseEpilogues', () => {
  it('fuses conv + relu into a conv with a relu epilogue', () => {
    const input = convNet((net, y) => net.markOutput(y.relu('relu1'), 'y'));
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    const w = net.constant('w', W, [2, 2, 3, 3]);
    const b = net.constant('b', B, [2]);
    net.markOutput(layer(net, 'Conv', 'conv1 + relu1', [x, w, b], { ...CONV_ATTRS, activation: 'relu', alpha: 0, beta: 0 }), 'y');
    const out = applyPass(FuseEpilogues, input);
    expectEqual(out, net.graph);
    expect(fused(out)).toMatchObject({ name: 'conv1 + relu1', fused: ['conv1', 'relu1'], outputs: ['y'] });
    expect(Object.keys(out.types)).not.toContain('conv1');
    verify(out);
  });

  it('fuses fullyConnected bias and activation: fc1 + bias + relu1', () => {
    const build = (fusedLayer: boolean) => {
      const net = new Network();
      const x = net.input('x', 'f32', [2, 4]);
      if (!fusedLayer) {
        net.markOutput(x.fullyConnected({ name: 'fc1', outputs: 3, weights: FW, bias: FB }).relu('relu1').sigmoid('out'));
      } else {
        const w = net.constant('w', FW, [3, 4]);
        const b = net.constant('b', FB, [3]);
        const y = layer(net, 'MatMul', 'fc1 + bias + relu1', [x, w, b], { transA: false, transB: true, activation: 'relu', alpha: 0, beta: 0 });
        net.markOutput(y.sigmoid('out'));
      }
      return net.graph;
    };
    const out = applyPass(FuseEpilogues, build(false));
    expectEqual(out, build(true));
    const node = fused(out)!;
    expect(node.name).toBe('fc1 + bias + relu1');
    expect(node.fused).toEqual(['fc1', 'fc1.bias_add', 'relu1']);
    // The chain's last value keeps its name, so the Sigmoid still reads 'relu1'.
    expect(node.outputs).toEqual(['relu1']);
    expect(out.nodes.find((n) => n.op === 'Sigmoid')!.inputs).toEqual(['relu1']);
    expect(Object.keys(out.types).filter((v) => v === 'fc1' || v === 'fc1.bias_add')).toEqual([]);
  });

  it('fuses a bias alone (fc1 + bias) and takes epilogue parameters from LeakyRelu and Clip', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 4]);
    net.markOutput(x.fullyConnected({ name: 'fc1', outputs: 3, weights: FW, bias: FB }), 'a');
    net.markOutput(x.fullyConnected({ name: 'fc2', outputs: 3, weights: FW, bias: FB }).leakyRelu(0.2, 'lrelu'), 'b');
    const c = net.input('img', 'f32', [1, 2, 5, 5]).conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: W });
    net.markOutput(c.clip(-1, 6, 'clip1'), 'c');
    const out = applyPass(FuseEpilogues, net.graph);
    const byName = new Map(out.nodes.map((n) => [n.name, n]));
    expect(byName.get('fc1 + bias')).toMatchObject({ op: 'MatMul', fused: ['fc1', 'fc1.bias_add'], outputs: ['a'] });
    expect(byName.get('fc1 + bias')!.attrs.activation).toBeUndefined();
    expect(byName.get('fc2 + bias + lrelu')!.attrs).toMatchObject({ activation: 'leakyRelu', alpha: 0.2, beta: 0 });
    expect(byName.get('conv1 + clip1')!.attrs).toMatchObject({ activation: 'clip', alpha: -1, beta: 6 });
    expect(out.nodes).toHaveLength(3);
    verify(out);
  });

  it('flattens a [1,N] bias constant to [N], with the constant on either side of the Add', () => {
    const build = (fusedLayer: boolean) => {
      const net = new Network();
      const x = net.input('x', 'f32', [2, 4]);
      const w = net.constant('w', FW, [3, 4]);
      if (fusedLayer) {
        net.markOutput(layer(net, 'MatMul', 'mm + bias', [x, w, net.constant('b', FB, [3])], { transA: false, transB: true }), 'y');
      } else {
        const b = net.constant('b', FB, [1, 3]);
        net.markOutput(b.add(x.matmul(w, { name: 'mm', transB: true }), 'add'), 'y');
      }
      return net.graph;
    };
    const out = applyPass(FuseEpilogues, build(false));
    expectEqual(out, build(true));
    expect(Object.values(out.constants).map((c) => c.type.shape)).toEqual(expect.arrayContaining([[3]]));
    expect(Object.keys(out.constants)).not.toContain('b');
    verify(out);
  });

  describe('must not change', () => {
    const unchanged = (g: Graph) => expect(applyPass(FuseEpilogues, g)).toBe(g);

    it('a conv whose output has two consumers', () => {
      unchanged(convNet((net, y) => net.markOutput(y.relu('relu1').add(y.sigmoid('s')), 'y')));
    });

    it('a conv whose output is a network output', () => {
      unchanged(convNet((net, y) => {
        net.markOutput(y, 'features');
        net.markOutput(y.relu('relu1'), 'y');
      }));
    });

    it('a conv followed by a non-activation (softmax)', () => {
      unchanged(convNet((net, y) => net.markOutput(y.softmax(1, 'sm'), 'y')));
    });

    it('a matmul + Add whose operand is not a constant', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [2, 4]);
      const bias = net.input('bias', 'f32', [3]);
      net.markOutput(x.matmul(net.constant('w', FW, [4, 3]), { name: 'mm' }).add(bias, 'add'), 'y');
      unchanged(net.graph);
    });

    it('a matmul + Add whose constant has the wrong shape ([M,N], [N,1]-broadcast, scalar)', () => {
      for (const shape of [[2, 3], [1], [2, 1]]) {
        const net = new Network();
        const x = net.input('x', 'f32', [2, 4]);
        const c = net.constant('c', weights(shape[0]! * (shape[1] ?? 1), 5), shape);
        net.markOutput(x.matmul(net.constant('w', FW, [4, 3]), { name: 'mm' }).add(c, 'add'), 'y');
        unchanged(net.graph);
      }
    });

    it('a matmul + Add that broadcasts the product to a bigger shape', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [1, 4]);
      const y = x.matmul(net.constant('w', FW, [4, 3]), { name: 'mm' }).add(net.constant('c', weights(6, 5), [2, 3]), 'add');
      net.markOutput(y, 'y');
      unchanged(net.graph);
    });

    it('an activation after a layer that already has one, and a graph with nothing to fuse', () => {
      const fusedOnce = applyPass(FuseEpilogues, convNet((net, y) => net.markOutput(y.relu('relu1').tanh('t'), 'y')));
      expect(fusedOnce.nodes.map((n) => n.name)).toEqual(['conv1 + relu1', 't']);
      unchanged(fusedOnce);
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [2, 2]).relu(), 'y');
      unchanged(net.graph);
    });
  });

  it('fuses the bias but not the relu when the Add output is a network output', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 4]);
    const y = x.fullyConnected({ name: 'fc1', outputs: 3, weights: FW, bias: FB });
    net.markOutput(y, 'logits');
    net.markOutput(y.relu('relu1'), 'act');
    const out = applyPass(FuseEpilogues, net.graph);
    expect(out.nodes.map((n) => [n.name, n.op])).toEqual([['fc1 + bias', 'MatMul'], ['relu1', 'Relu']]);
    verify(out);
  });

  it('does not mutate its input and is idempotent', () => {
    const input = convNet((net, y) => net.markOutput(y.relu('relu1'), 'y'));
    const before = structuralHash(input);
    const once = applyPass(FuseEpilogues, input);
    expect(structuralHash(input)).toBe(before);
    expect(Object.isFrozen(once)).toBe(true);
    expect(applyPass(FuseEpilogues, once)).toBe(once);
  });
});

describe('FuseEpilogues with attributes left to their defaults', () => {
  it('takes a LeakyRelu alpha from the op registry default', () => {
    const net = new Network();
    const y = net.input('img', 'f32', [1, 2, 5, 5]).conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: W });
    net.markOutput(layer(net, 'LeakyRelu', 'lrelu', [y], {}), 'y');
    expect(applyPass(FuseEpilogues, net.graph).nodes[0]!.attrs).toMatchObject({ activation: 'leakyRelu', alpha: 0.01, beta: 0 });
  });
});
