// FoldScaleIntoConv: Input vs Expected with the folded weights written out, chains,
// BatchNormalization, scales before a Conv (and when that is illegal), per-column
// scales after a MatMul, shared weights, and what must not change.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { hasOp, verify, type Graph } from '../../src/ir/index.js';
import { FoldScaleIntoConv, applyPass } from '../../passes/index.js';
import { CONV_ATTRS, expectGraph, expectSameOutputs, expectUnchanged, layer, weights } from './helpers.js';

const W = weights(2 * 2 * 3 * 3, 1);
const B = weights(2, 2);

function convNet(then: (net: Network, y: ReturnType<Network['input']>) => ReturnType<Network['input']>, conv: { bias?: boolean; padding?: number } = {}): Graph {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 2, 5, 5]);
  const y = x.conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: W, bias: conv.bias === false ? undefined : B, padding: conv.padding ? [conv.padding, conv.padding] : undefined });
  net.markOutput(then(net, y), 'y');
  return net.graph;
}

const rows = (w: Float32Array, s: readonly number[]) => w.map((v, i) => v * s[Math.floor(i / (w.length / s.length))]!);

describe('FoldScaleIntoConv', () => {
  it('folds a per-channel Scale after a Conv into its weights and bias', () => {
    const input = convNet((_net, y) => y.scale({ name: 'bn', mode: 'channel', scale: [2, -0.5], shift: [1, 3] }));
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    const w = net.constant('w', rows(W, [2, -0.5]), [2, 2, 3, 3]);
    const b = net.constant('b', [B[0]! * 2 + 1, B[1]! * -0.5 + 3], [2]);
    net.markOutput(layer(net, 'Conv', 'conv1 + bn', [x, w, b], CONV_ATTRS), 'y');
    const out = applyPass(FoldScaleIntoConv, input);
    expectGraph(out, net.graph);
    expect(out.nodes[0]).toMatchObject({ name: 'conv1 + bn', fused: ['conv1', 'bn'], outputs: ['y'] });
    // A weight only this Conv reads is rewritten under its own name.
    expect(Object.keys(out.constants).sort()).toEqual(['conv1.bias', 'conv1.weights']);
    expectSameOutputs(input, out);
    verify(out);
  });

  it('folds a whole chain of Mul/Add/Sub/Div by per-channel or scalar constants, on either side', () => {
    const input = convNet((net, y) => {
      const s = net.constant('s', [3, 4], [1, 2, 1, 1]);
      const t = net.constant('t', [0.5, -0.5], [2, 1, 1]);
      return net.constant('k', [2], [1]).sub(s.mul(y, 'm').add(t, 'a').div(4, 'd'), 'neg');
    });
    const out = applyPass(FoldScaleIntoConv, input);
    expect(out.nodes.map((n) => n.name)).toEqual(['conv1 + m + a + d + neg']);
    expectSameOutputs(input, out);
  });

  it('adds no bias when the Conv had none and the chain only scales', () => {
    const input = convNet((_net, y) => y.mul(0.25, 'quarter'), { bias: false });
    const out = applyPass(FoldScaleIntoConv, input);
    expect(out.nodes[0]!.inputs).toHaveLength(2);
    expectSameOutputs(input, out);
  });

  it.skipIf(!hasOp('BatchNormalization'))('folds an inference BatchNormalization (conv + BN)', () => {
    const input = convNet((net, y) => layer(net, 'BatchNormalization', 'bn', [y, ...[[1.5, 0.5], [0.1, -0.2], [0.3, 0.7], [2, 0.5]].map((v, i) => net.constant(`p${i}`, v, [2]))], { epsilon: 1e-3 }));
    const out = applyPass(FoldScaleIntoConv, input);
    expect(out.nodes.map((n) => [n.name, n.op])).toEqual([['conv1 + bn', 'Conv']]);
    expectSameOutputs(input, out);
  });

  it('folds a Scale before an unpadded Conv, shift included; with groups', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [1, 4, 5, 5]);
    const s = x.scale({ name: 'norm', mode: 'channel', scale: [1 / 255, 2, 3, 4], shift: [-0.5, 0, 1, 2] });
    net.markOutput(s.conv({ name: 'conv1', outChannels: 4, kernel: [3, 3], weights: weights(4 * 2 * 9, 3), bias: weights(4, 4), groups: 2 }), 'y');
    const out = applyPass(FoldScaleIntoConv, net.graph);
    expect(out.nodes.map((n) => [n.name, n.inputs[0]])).toEqual([['norm + conv1', 'x']]);
    expectSameOutputs(net.graph, out);
  });

  it('folds a scale read by several Convs into each of them, even when they share weights', () => {
    const net = new Network({ weights: { w: { dtype: 'f32', shape: [2, 2, 3, 3], data: W } } });
    const s = net.input('x', 'f32', [1, 2, 5, 5]).scale({ name: 'norm', mode: 'channel', scale: [2, 3], shift: [1, -1] });
    net.markOutput(s.conv({ name: 'c1', outChannels: 2, kernel: [3, 3], weights: 'w' }), 'a');
    net.markOutput(s.conv({ name: 'c2', outChannels: 2, kernel: [3, 3], weights: 'w', bias: B }), 'b');
    const out = applyPass(FoldScaleIntoConv, net.graph);
    expect(out.nodes.map((n) => [n.name, n.inputs[0], n.inputs[1]])).toEqual([['norm + c1', 'x', 'w.folded'], ['norm + c2', 'x', 'w.folded_1']]);
    expect(Object.keys(out.constants)).not.toContain('w');
    expectSameOutputs(net.graph, out);
    const padded = new Network();
    const p = padded.input('x', 'f32', [1, 2, 5, 5]).add(1, 'shift');
    padded.markOutput(p.conv({ name: 'c1', outChannels: 2, kernel: [3, 3], weights: W }), 'a');
    padded.markOutput(p.conv({ name: 'c2', outChannels: 2, kernel: [3, 3], weights: W, padding: [1, 1] }), 'b');
    expectUnchanged(FoldScaleIntoConv, padded.graph);
  });

  it('folds a shift-free scale before a padded Conv (zero padding stays zero)', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    net.markOutput(x.mul(net.constant('s', [2, 3], [2, 1, 1]), 'pre').conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: W, padding: [1, 1] }), 'y');
    const out = applyPass(FoldScaleIntoConv, net.graph);
    expect(out.nodes.map((n) => n.name)).toEqual(['pre + conv1']);
    expectSameOutputs(net.graph, out);
  });

  it('folds a per-column scale (and shift, into a bias) after a MatMul with constant weights', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 4]);
    const fc = x.fullyConnected({ name: 'fc1', outputs: 3, weights: weights(12, 5), bias: weights(3, 6) });
    net.markOutput(fc.mul(net.constant('c', [1, 2, 3], [1, 3]), 'col').scale({ name: 'sc', mode: 'channel', channelAxis: -1, scale: [1, 1, 2], shift: [0, 1, 0] }), 'a');
    const mm = x.matmul(net.constant('B', weights(12, 7), [4, 3]), { name: 'mm' });
    net.markOutput(mm.div(net.constant('d', [2, 4, 8], [3]), 'over'), 'b');
    const out = applyPass(FoldScaleIntoConv, net.graph);
    expect(out.nodes.map((n) => n.name)).toEqual(['fc1 + fc1.bias_add + col + sc', 'mm + over']);
    expect(out.nodes[0]!.inputs).toHaveLength(3);
    expect(out.nodes[1]!.inputs).toHaveLength(2);
    expectSameOutputs(net.graph, out);
  });

  it('writes folded weights under a fresh name when another layer shares them', () => {
    const net = new Network({ weights: { w: { dtype: 'f32', shape: [2, 2, 3, 3], data: W } } });
    const x = net.input('x', 'f32', [1, 2, 5, 5]);
    net.markOutput(x.conv({ name: 'c1', outChannels: 2, kernel: [3, 3], weights: 'w' }).mul(2, 'double'), 'a');
    net.markOutput(x.conv({ name: 'c2', outChannels: 2, kernel: [3, 3], weights: 'w' }), 'b');
    const out = applyPass(FoldScaleIntoConv, net.graph);
    expect(out.nodes.map((n) => n.inputs[1])).toEqual(['w.folded', 'w']);
    expectSameOutputs(net.graph, out);
  });

  describe('must not change', () => {
    it('a scale after an activation, a scale of a Conv output read twice, or one that is a network output', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [1, 2, 5, 5]);
      const c1 = x.conv({ name: 'c1', outChannels: 2, kernel: [3, 3], weights: W }).relu('r');
      net.markOutput(c1.mul(2, 'm1'), 'a');
      const c2 = x.conv({ name: 'c2', outChannels: 2, kernel: [3, 3], weights: W });
      net.markOutput(c2.mul(2, 'm2').add(c2, 'twice'), 'b');
      const c3 = x.conv({ name: 'c3', outChannels: 2, kernel: [3, 3], weights: W });
      net.markOutput(c3, 'c');
      net.markOutput(c3.mul(2, 'm3'), 'd');
      expectUnchanged(FoldScaleIntoConv, net.graph);
    });

    it('constants that vary along a spatial axis, elementwise Scale, power, a non-constant operand', () => {
      expectUnchanged(FoldScaleIntoConv, convNet((net, y) => y.mul(net.constant('row', [1, 2, 3], [3, 1]), 'spatial')));
      expectUnchanged(FoldScaleIntoConv, convNet((_net, y) => y.scale({ mode: 'elementwise', scale: weights(18, 9) })));
      expectUnchanged(FoldScaleIntoConv, convNet((_net, y) => y.scale({ mode: 'uniform', scale: [2], power: [2] })));
      expectUnchanged(FoldScaleIntoConv, convNet((_net, y) => y.mul(y.sigmoid('g'), 'gate')));
    });

    it('a shifted scale before a padded Conv, and a bias add right after a bias-less MatMul (FuseEpilogues takes it)', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [1, 2, 5, 5]);
      net.markOutput(x.add(1, 'shift').conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: W, padding: [1, 1] }), 'y');
      expectUnchanged(FoldScaleIntoConv, net.graph);
      const fc = new Network();
      fc.markOutput(fc.input('x', 'f32', [2, 4]).fullyConnected({ name: 'fc1', outputs: 3, weights: weights(12), bias: weights(3) }).relu(), 'y');
      expectUnchanged(FoldScaleIntoConv, fc.graph);
    });
  });
});
