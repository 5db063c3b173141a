// Layout assignment end to end: networks rewritten by AssignLayout (every candidate
// converted) built and run natively (NHWC MatMuls, convDepthwiseNhwc, reformat
// Transposes) against the interpreter on the original network: channel counts that
// leave a partial 8-channel block, strides, padding, dilation, 5x5 kernels, batch,
// and fused relu / clip / sigmoid epilogues.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor } from '../../src/interpret/index.js';
import { AssignLayout, FuseEpilogues, applyPass } from '../../passes/index.js';
import { buildPlan, expectClose, runPlan } from './helpers.js';

const floats = (rng: () => number, n: number) => randomTensor('f32', [n], rng, { min: -0.5, max: 0.5 }).data as Float32Array;

describe('NHWC layers from AssignLayout', () => {
  it('match the interpreter on random 1x1 -> depthwise -> 1x1 chains', async () => {
    const rng = mulberry32(404);
    for (let trial = 0; trial < 10; trial++) {
      const c = [13, 8, 20, 3, 32][trial % 5]!, cin = randomInt(rng, 1, 9), n = randomInt(rng, 1, 2);
      const h = randomInt(rng, 5, 23), w = randomInt(rng, 5, 30);
      const k = [1, 3, 3, 5][randomInt(rng, 0, 3)]!, s = randomInt(rng, 1, 2), d = k === 5 ? 1 : randomInt(rng, 1, 2);
      const p = randomInt(rng, 0, 2);
      const act = (['none', 'relu', 'clip', 'sigmoid'] as const)[trial % 4]!;
      const net = new Network();
      const x = net.input('x', 'f32', [n, cin, h, w]);
      const a = x.conv({ outChannels: c, kernel: [1, 1], weights: floats(rng, c * cin), bias: floats(rng, c) }).relu();
      let dw = a.conv({ outChannels: c, kernel: [k, k], groups: c, weights: floats(rng, c * k * k), bias: trial % 3 ? floats(rng, c) : undefined, strides: [s, s], dilations: [d, d], padsBegin: [p, p], padsEnd: [1 - (p % 2), p] });
      if (act === 'relu') dw = dw.relu();
      if (act === 'clip') dw = dw.clip(0, 0.25);
      if (act === 'sigmoid') dw = dw.sigmoid();
      net.markOutput(dw.conv({ outChannels: 5, kernel: [1, 1], weights: floats(rng, 5 * c) }), 'y');
      const graph = net.graph;
      const nhwc = applyPass(AssignLayout, applyPass(FuseEpilogues, graph), { options: { minLayersPerReformat: 0 } });
      expect(nhwc.nodes.map((l) => l.op)).toContain('ConvNhwc');
      const inputs = { x: randomTensor('f32', [n, cin, h, w], rng, { min: -1, max: 1 }) };
      const actual = await runPlan(buildPlan(nhwc), inputs);
      expectClose(actual.y!, interpret(graph, inputs).y!, `trial ${trial} (c ${c}, ${h}x${w}, k ${k}, s ${s}, d ${d}, ${act})`);
    }
  });
});
