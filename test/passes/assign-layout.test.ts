// AssignLayout: Input vs Expected (1x1 convs as NHWC MatMuls, depthwise convs as
// ConvNhwc, one reformat at each border of a region), readers outside a region
// keeping their NCHW value, the cases that must not change, and the checkPass
// properties on random networks, with the region rule relaxed so the pass fires.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { verify, type Graph } from '../../src/ir/index.js';
import { AssignLayout, applyPass } from '../../passes/index.js';
import { checkPass, networkArbitrary, type ArbOp } from '../../passes/testing/index.js';
import { CONV_ATTRS, expectGraph, expectSameOutputs, expectUnchanged, layer, weights } from './helpers.js';

const RUNS = Number(process.env.KILN_PROPERTY_RUNS ?? 150);
const eager = { options: { minLayersPerReformat: 0 } };
const W1 = weights(16 * 8, 1), B1 = weights(16, 2), WD = weights(16 * 9, 3), W2 = weights(8 * 16, 4);
const DW_ATTRS = { ...CONV_ATTRS, groups: 16, padsBegin: [1, 1], padsEnd: [1, 1] };

/** x -> 1x1 (8 -> 16, bias) -> depthwise 3x3 -> 1x1 (16 -> 8) -> y, on 7x7 planes. */
function block(extra?: (net: Network, mid: ReturnType<Network['input']>) => void): Graph {
  const net = new Network();
  const x = net.input('x', 'f32', [1, 8, 7, 7]);
  const a = x.conv({ name: 'pw1', outChannels: 16, kernel: [1, 1], weights: W1, bias: B1 });
  const d = a.conv({ name: 'dw', outChannels: 16, kernel: [3, 3], groups: 16, weights: WD, padding: [1, 1] });
  net.markOutput(d.conv({ name: 'pw2', outChannels: 8, kernel: [1, 1], weights: W2 }), 'y');
  extra?.(net, a);
  return net.graph;
}

describe('AssignLayout', () => {
  it('runs a 1x1 -> depthwise -> 1x1 chain in NHWC with one reformat at each end', () => {
    const input = block();
    const out = applyPass(AssignLayout, input, { options: { minLayersPerReformat: 1 } });
    const net = new Network();
    const x = net.input('x', 'f32', [1, 8, 7, 7]);
    const xn = layer(net, 'Transpose', 'x to NHWC', [x], { perm: [0, 2, 3, 1] });
    const a = layer(net, 'MatMul', 'pw1', [xn, net.constant('w1', W1, [16, 8]), net.constant('b1', B1, [16])], { transB: true });
    const d = layer(net, 'ConvNhwc', 'dw', [a, net.constant('wd', WD, [16, 1, 3, 3])], DW_ATTRS);
    const b = layer(net, 'MatMul', 'pw2', [d, net.constant('w2', W2, [8, 16])], { transB: true });
    net.markOutput(layer(net, 'Transpose', 'pw2 to NCHW', [b], { perm: [0, 3, 1, 2] }), 'y');
    expectGraph(out, net.graph);
    verify(out);
    expectSameOutputs(input, out);
  });

  it('hands a reader outside the region the NCHW value through a reformat back', () => {
    const input = block((net, mid) => net.markOutput(mid.relu('r'), 'side'));
    const out = applyPass(AssignLayout, input, eager);
    expect(out.nodes.map((n) => `${n.op} ${n.name}`)).toEqual([
      'Transpose x to NHWC', 'MatMul pw1', 'Transpose pw1 to NCHW', 'ConvNhwc dw', 'MatMul pw2', 'Transpose pw2 to NCHW', 'Relu r',
    ]);
    expectSameOutputs(input, out);
  });

  it('leaves alone regions that would pay more reformats than they save, large planes and other convs', () => {
    expectUnchanged(AssignLayout, block());
    const big = new Network();
    const x = big.input('x', 'f32', [1, 8, 40, 40]);
    big.markOutput(x.conv({ outChannels: 8, kernel: [1, 1], weights: weights(64, 5) }).conv({ outChannels: 8, kernel: [1, 1], weights: weights(64, 6) }), 'y');
    const bigGraph = big.graph;
    expect(applyPass(AssignLayout, bigGraph, eager)).toBe(bigGraph);
    // int8 builds lift the plane limit (maxNhwcPlane): the same 40x40 layers go NHWC, outputs unchanged.
    const lifted = applyPass(AssignLayout, bigGraph, { options: { minLayersPerReformat: 0, maxNhwcPlane: Infinity } });
    expect(lifted.nodes.filter((n) => n.op === 'MatMul').length).toBe(2);
    expectSameOutputs(bigGraph, lifted);
    const full = new Network();
    const f = full.input('x', 'f32', [1, 4, 9, 9]);
    full.markOutput(f.conv({ outChannels: 4, kernel: [3, 3], weights: weights(144, 7) }).conv({ outChannels: 4, kernel: [1, 1], strides: [2, 2], weights: weights(16, 8) }), 'y');
    const fullGraph = full.graph;
    expect(applyPass(AssignLayout, fullGraph, eager)).toBe(fullGraph);
  });

  it('converts a long MobileNet-like chain with the default region rule', () => {
    const net = new Network();
    let t = net.input('x', 'f32', [1, 8, 7, 7]);
    for (let i = 0; i < 4; i++) {
      t = t.conv({ outChannels: 8, kernel: [1, 1], weights: weights(64, 10 + i) });
      t = t.conv({ outChannels: 8, kernel: [3, 3], groups: 8, weights: weights(72, 20 + i), padding: [1, 1] });
    }
    net.markOutput(t, 'y');
    const input = net.graph;
    const out = applyPass(AssignLayout, input);
    expect(out.nodes.filter((n) => n.op === 'Transpose')).toHaveLength(2);
    expectSameOutputs(input, out);
  });
});

describe('AssignLayout properties (checkPass)', () => {
  it('on the default generator: same outputs, valid, idempotent, input untouched', () => {
    checkPass(AssignLayout, { numRuns: RUNS });
  });

  it('with every candidate converted, on conv-heavy networks, and it fires on a good share', () => {
    const ops: ArbOp[] = ['conv', 'relu', 'clip', 'add', 'residual', 'maxPool'];
    checkPass(AssignLayout, { numRuns: 2 * RUNS, ops, maxLayers: 12, context: eager });
    // The generator draws a 1x1 stride-1 unpadded conv one time in 12 and a depthwise
    // one (2 channels, groups 2) rarely: a few percent of networks is the expected share.
    const nets = fc.sample(networkArbitrary({ ops, maxLayers: 12 }), { numRuns: 400, seed: 5 });
    const share = nets.filter((n) => applyPass(AssignLayout, n.graph, eager) !== n.graph).length / nets.length;
    expect(share).toBeGreaterThan(0.04);
  });

  it('under the CUDA layout (groups-1 convs of 8k channels, any window, with residuals), and it fires', () => {
    const ops: ArbOp[] = ['conv', 'relu', 'clip', 'add', 'residual', 'maxPool'];
    const cuda = { options: { layout: 'cuda', minLayersPerReformat: 0 } };
    checkPass(AssignLayout, { numRuns: 2 * RUNS, ops, maxLayers: 12, context: cuda });
    const nets = fc.sample(networkArbitrary({ ops, maxLayers: 12 }), { numRuns: 400, seed: 5 });
    const share = nets.filter((n) => applyPass(AssignLayout, n.graph, cuda) !== n.graph).length / nets.length;
    expect(share).toBeGreaterThan(0.01);
  });
});
