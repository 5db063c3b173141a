// Pools inside NHWC regions: AssignLayout turns a 2-D pool whose input comes from an
// NHWC layer into PoolNhwc (never one that would start a region), under the CPU policy
// (MobileNet's global average after its last 1x1 conv) and the CUDA one; the CPU engine
// (kernel poolNhwc) and the interpreter equal the network as written, for max and average
// pools with strides, padding and countIncludePad.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor } from '../../src/interpret/index.js';
import { AssignLayout, FuseEpilogues, applyPass } from '../../passes/index.js';
import { buildPlan, expectClose, runPlan } from './helpers.js';

const floats = (rng: () => number, n: number) => randomTensor('f32', [n], rng, { min: -0.5, max: 0.5 }).data as Float32Array;

describe('PoolNhwc from AssignLayout', () => {
  it('joins a pool fed by an NHWC layer, leaves one fed from NCHW alone', () => {
    const rng = mulberry32(5);
    const net = new Network();
    const x = net.input('x', 'f32', [1, 16, 8, 8]);
    const first = x.maxPool({ kernel: [2, 2], name: 'first' });
    const a = first.conv({ outChannels: 16, kernel: [1, 1], weights: floats(rng, 256), name: 'a' }).relu();
    net.markOutput(a.avgPool({ kernel: [4, 4], name: 'gap' }), 'y');
    const out = applyPass(AssignLayout, applyPass(FuseEpilogues, net.graph), { options: { minLayersPerReformat: 0 } });
    expect(out.nodes.find((n) => n.name === 'first')!.op).toBe('Pool');
    expect(out.nodes.find((n) => n.name === 'gap')!.op).toBe('PoolNhwc');
  });

  for (const layout of ['cpu', 'cuda'] as const) {
    it(`matches the interpreter on random conv -> pool chains (${layout} policy)`, async () => {
      const rng = mulberry32(layout === 'cpu' ? 31 : 32);
      for (let trial = 0; trial < 8; trial++) {
        const c = [8, 13, 16][trial % 3]!, n = randomInt(rng, 1, 2), h = randomInt(rng, 6, 14), w = randomInt(rng, 6, 14);
        const k = randomInt(rng, 2, 3), s = randomInt(rng, 1, 2), p = randomInt(rng, 0, 1);
        const mode = trial % 2 ? 'avg' : 'max';
        const net = new Network();
        const x = net.input('x', 'f32', [n, 8, h, w]);
        const a = x.conv({ outChannels: c, kernel: [1, 1], weights: floats(rng, c * 8), bias: floats(rng, c) }).relu();
        const opts = { kernel: [k, k], strides: [s, s], padding: [p, p], countIncludePad: trial % 4 === 1 };
        const pooled = mode === 'max' ? a.maxPool(opts) : a.avgPool(opts);
        net.markOutput(pooled.conv({ outChannels: 8, kernel: [1, 1], weights: floats(rng, 8 * c) }), 'y');
        const graph = net.graph;
        const nhwc = applyPass(AssignLayout, applyPass(FuseEpilogues, graph), { options: { minLayersPerReformat: 0, ...(layout === 'cuda' ? { layout: 'cuda', nhwcChannels: 4 } : {}) } });
        const inputs = { x: randomTensor('f32', [n, 8, h, w], rng, { min: -1, max: 1 }) };
        const expected = interpret(graph, inputs).y!;
        const label = `trial ${trial} (${mode} ${k}x${k} s${s} p${p}, c ${c}, ${h}x${w})`;
        expect(nhwc.nodes.some((l) => l.op === 'PoolNhwc'), label).toBe(true);
        expectClose(interpret(nhwc, inputs).y!, expected, `${label}, interpreter`);
        expectClose((await runPlan(buildPlan(nhwc), inputs)).y!, expected, label);
      }
    });
  }
});
