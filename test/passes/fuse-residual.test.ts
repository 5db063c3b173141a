// FuseResidualAdds: Input vs Expected graphs for a residual block's tail, the cases
// that must not change, and the outputs kept (interpreter).
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { verify, type Graph } from '../../src/ir/index.js';
import { FuseEpilogues, FuseResidualAdds, applyPass, buildPipeline, runPipeline } from '../../passes/index.js';
import { CONV_ATTRS, expectGraph, expectSameOutputs, expectUnchanged, layer, weights } from './helpers.js';

const W = weights(2 * 2 * 3 * 3, 1);
const B = weights(2, 2);
const FW = weights(3 * 3, 3);
const FB = weights(3, 4);
const EPI = { activation: 'relu', alpha: 0, beta: 0 };

/** x [1,2,5,5] -> conv1 (3x3, pad 1) -> then(net, conv output, skip input). */
function block(then: (net: Network, y: ReturnType<Network['input']>, skip: ReturnType<Network['input']>) => void): Graph {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 2, 5, 5]);
  const skip = net.input('skip', 'f32', [1, 2, 5, 5]);
  then(net, x.conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: W, bias: B, padding: [1, 1] }), skip);
  return net.graph;
}

describe('FuseResidualAdds', () => {
  it('fuses conv + add + relu into one Conv reading the skip as its residual', () => {
    const input = block((net, y, skip) => net.markOutput(y.add(skip, 'add1').relu('relu1'), 'y'));
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    const skip = net.input('skip', 'f32', [1, 2, 5, 5]);
    const w = net.constant('w', W, [2, 2, 3, 3]);
    const b = net.constant('b', B, [2]);
    const attrs = { ...CONV_ATTRS, padsBegin: [1, 1], padsEnd: [1, 1], ...EPI };
    net.markOutput(layer(net, 'Conv', 'conv1 + add1 + relu1', [x, w, b, skip], attrs), 'y');
    const out = applyPass(FuseResidualAdds, input);
    expectGraph(out, net.graph);
    expect(out.nodes[0]).toMatchObject({ fused: ['conv1', 'add1', 'relu1'], outputs: ['y'] });
    verify(out);
    expectSameOutputs(input, out);
  });

  it('takes the skip on either side of the Add, and fuses the Add alone when no activation follows', () => {
    const input = block((net, y, skip) => net.markOutput(skip.add(y, 'add1').softmax(1, 'sm'), 'y'));
    const out = applyPass(FuseResidualAdds, input);
    expect(out.nodes.map((n) => [n.name, n.op, n.inputs[3]])).toEqual([['conv1 + add1', 'Conv', 'skip'], ['sm', 'Softmax', undefined]]);
    expect(out.nodes[0]!.attrs.activation).toBeUndefined();
    expectSameOutputs(input, out);
  });

  it('after FuseEpilogues: fully connected + bias + add + relu is one MatMul', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3]);
    net.markOutput(x.fullyConnected({ name: 'fc1', outputs: 3, weights: FW, bias: FB }).add(x, 'add').relu('relu'), 'y');
    const out = applyPass(FuseResidualAdds, applyPass(FuseEpilogues, net.graph));
    expect(out.nodes).toHaveLength(1);
    expect(out.nodes[0]).toMatchObject({ name: 'fc1 + bias + add + relu', op: 'MatMul', fused: ['fc1', 'fc1.bias_add', 'add', 'relu'] });
    expect(out.nodes[0]!.inputs[3]).toBe('x');
    expectSameOutputs(net.graph, out);
  });

  it('a bias fused later (a second pipeline run) keeps the residual: act(a*b + bias + residual)', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3]);
    const r = net.input('r', 'f32', [2, 3]);
    const mm = x.matmul(net.constant('w', FW, [3, 3]), { name: 'mm' });
    net.markOutput(mm.add(r, 'add').add(net.constant('b', FB, [3]), 'bias_add').relu('relu'), 'y');
    const once = runPipeline(net.graph, buildPipeline({ optLevel: 2 })).graph;
    const twice = runPipeline(once, buildPipeline({ optLevel: 2 })).graph;
    expect(twice.nodes).toHaveLength(1);
    expect(twice.nodes[0]!.inputs).toEqual(['x', 'w', expect.any(String), 'r']);
    expectSameOutputs(net.graph, twice);
  });

  it('of two convs meeting at the Add (a downsampling block), fuses the later one', () => {
    const input = block((net, y, skip) => {
      const down = skip.conv({ name: 'down', outChannels: 2, kernel: [1, 1], weights: weights(4, 7) });
      net.markOutput(y.add(down, 'add1').relu('relu1'), 'y');
    });
    const out = applyPass(FuseResidualAdds, input);
    expect(out.nodes.map((n) => n.name)).toEqual(['conv1', 'down + add1 + relu1']);
    expect(out.nodes[1]!.inputs[3]).toBe('conv1');
    expectSameOutputs(input, out);
  });

  it('is part of the pipeline from level 2', () => {
    const input = block((net, y, skip) => net.markOutput(y.add(skip).relu(), 'y'));
    expect(runPipeline(input, buildPipeline({ optLevel: 2 })).graph.nodes).toHaveLength(1);
    expect(runPipeline(input, buildPipeline({ optLevel: 2, disable: ['FuseResidualAdds'] })).graph.nodes).toHaveLength(3);
  });

  it('a residual input of another type than the output is refused by name', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    const r = net.input('r', 'f32', [1, 2, 3, 3]);
    const w = net.constant('w', W, [2, 2, 3, 3]);
    expect(() => layer(net, 'Conv', 'c', [x, w, undefined, r], { ...CONV_ATTRS, padsBegin: [1, 1], padsEnd: [1, 1] }))
      .toThrow("residual must have the output's type f32[1,2,5,5], got f32[1,2,3,3]");
    const a = net.input('a', 'f32', [2, 3]);
    expect(() => layer(net, 'MatMul', 'm', [a, net.constant('b', FW, [3, 3]), undefined, net.input('s', 'f32', [2, 1])], {}))
      .toThrow("residual must have the output's type f32[2,3], got f32[2,1]");
  });

  describe('must not change', () => {
    it('a conv whose output has two consumers', () => {
      expectUnchanged(FuseResidualAdds, block((net, y, skip) => net.markOutput(y.add(skip).relu().add(y.sigmoid()), 'y')));
    });

    it('a conv whose output is a network output', () => {
      expectUnchanged(FuseResidualAdds, block((net, y, skip) => {
        net.markOutput(y, 'features');
        net.markOutput(y.add(skip), 'y');
      }));
    });

    it('an Add that broadcasts the other operand', () => {
      expectUnchanged(FuseResidualAdds, block((net, y) => net.markOutput(y.add(net.input('c', 'f32', [1, 2, 1, 1])), 'y')));
    });

    it('an Add that broadcasts the conv output to a bigger shape', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [1, 2, 5, 5]);
      const y = x.conv({ name: 'c', outChannels: 1, kernel: [3, 3], weights: weights(18, 2), padding: [1, 1] });
      net.markOutput(y.add(net.input('big', 'f32', [1, 2, 5, 5])), 'y');
      expectUnchanged(FuseResidualAdds, net.graph);
    });

    it('a conv that already has an activation (it would apply before the add)', () => {
      const fused = applyPass(FuseEpilogues, block((net, y, skip) => net.markOutput(y.relu('r').add(skip), 'y')));
      expect(fused.nodes.map((n) => n.name)).toEqual(['conv1 + r', expect.any(String)]);
      expectUnchanged(FuseResidualAdds, fused);
    });

    it('a conv added to itself, and a graph without convs', () => {
      expectUnchanged(FuseResidualAdds, block((net, y) => net.markOutput(y.add(y), 'y')));
      const net = new Network();
      const x = net.input('x', 'f32', [2, 2]);
      net.markOutput(x.add(x).relu(), 'y');
      expectUnchanged(FuseResidualAdds, net.graph);
    });
  });
});
