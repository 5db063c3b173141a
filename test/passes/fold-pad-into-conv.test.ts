// FoldPadIntoConv: Input vs Expected, the Pads that must stay, and outputs kept.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { verify, type Graph } from '../../src/ir/index.js';
import { FoldPadIntoConv, applyPass, buildPipeline, runPipeline } from '../../passes/index.js';
import type { PadOptions } from '../../dsl/layout.js';
import { CONV_ATTRS, expectGraph, expectSameOutputs, expectUnchanged, layer, weights } from './helpers.js';

const W = weights(3 * 2 * 3 * 3, 1);

function padded(pads: number[], o: PadOptions = {}, convPad = 0): Graph {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 2, 5, 6]);
  const p = x.pad(pads, { name: 'pad1', ...o });
  net.markOutput(p.conv({ name: 'conv1', outChannels: 3, kernel: [3, 3], weights: W, padding: [convPad, convPad] }), 'y');
  return net.graph;
}

describe('FoldPadIntoConv', () => {
  it('moves a spatial zero Pad into the Conv padding, adding to what the Conv had', () => {
    const input = padded([0, 0, 1, 2, 0, 0, 3, 0], {}, 1);
    const out = applyPass(FoldPadIntoConv, input);
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 6]);
    const w = net.constant('w', W, [3, 2, 3, 3]);
    net.markOutput(layer(net, 'Conv', 'pad1 + conv1', [x, w, undefined], { ...CONV_ATTRS, padsBegin: [2, 3], padsEnd: [4, 1] }), 'y');
    expectGraph(out, net.graph);
    expect(out.nodes[0]!.fused).toEqual(['pad1', 'conv1']);
    verify(out);
    expectSameOutputs(input, out);
  });

  it('takes pads given for the spatial axes only, and rewrites every Conv reading the Pad', () => {
    const net = new Network();
    const x = net.input('x', 'f32', [1, 2, 5, 6]);
    const p = x.pad([1, 1, 1, 1], { axes: [2, 3], name: 'pad1' });
    net.markOutput(p.conv({ name: 'a', outChannels: 3, kernel: [3, 3], weights: W }), 'ya');
    net.markOutput(p.conv({ name: 'b', outChannels: 3, kernel: [3, 3], weights: W, strides: [2, 2] }), 'yb');
    const out = applyPass(FoldPadIntoConv, net.graph);
    expect(out.nodes.map((n) => [n.name, n.inputs[0], n.attrs.padsBegin])).toEqual([['pad1 + a', 'x', [1, 1]], ['pad1 + b', 'x', [1, 1]]]);
    expectSameOutputs(net.graph, out);
  });

  it('runs in the pipeline from level 3', () => {
    const input = padded([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(runPipeline(input, buildPipeline({ optLevel: 3 })).graph.nodes.map((n) => n.op)).toEqual(['Conv']);
    expect(runPipeline(input, buildPipeline({ optLevel: 2 })).graph.nodes.map((n) => n.op)).toEqual(['Pad', 'Conv']);
  });

  describe('must not change', () => {
    it('a Pad with a non-zero value, another mode, a negative pad (a crop), or padding of the channel dim', () => {
      expectUnchanged(FoldPadIntoConv, padded([0, 0, 1, 1, 0, 0, 1, 1], { value: 1 }));
      expectUnchanged(FoldPadIntoConv, padded([0, 0, 1, 1, 0, 0, 1, 1], { mode: 'reflect' }));
      expectUnchanged(FoldPadIntoConv, padded([0, 0, 1, -1, 0, 0, 1, 1]));
      const net = new Network();
      const x = net.input('x', 'f32', [1, 1, 5, 6]);
      net.markOutput(x.pad([0, 1, 0, 0, 0, 0, 0, 0]).conv({ outChannels: 3, kernel: [3, 3], weights: W }), 'y');
      expectUnchanged(FoldPadIntoConv, net.graph);
    });

    it('a Pad also read by another layer or marked as a network output', () => {
      const net = new Network();
      const x = net.input('x', 'f32', [1, 2, 5, 6]);
      const p = x.pad([0, 0, 1, 1, 0, 0, 1, 1]);
      net.markOutput(p.conv({ outChannels: 3, kernel: [3, 3], weights: W }), 'y');
      net.markOutput(p.relu(), 'z');
      expectUnchanged(FoldPadIntoConv, net.graph);
      const out = new Network();
      const q = out.input('x', 'f32', [1, 2, 5, 6]).pad([0, 0, 1, 1, 0, 0, 1, 1]);
      out.markOutput(q, 'padded');
      out.markOutput(q.conv({ outChannels: 3, kernel: [3, 3], weights: W }), 'y');
      expectUnchanged(FoldPadIntoConv, out.graph);
    });
  });
});
