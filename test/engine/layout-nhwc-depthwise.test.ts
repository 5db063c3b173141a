// The NHWC depthwise conv's in-place path (channel counts divisible by 8: conv-direct.inc
// dw_nhwc) against the interpreter, through AssignLayout (every candidate converted):
// 1 to 6 channel blocks, kernels 1..5 and 7, strides 1..3, dilation, paddings wider than
// the reach on either side (border pixels take the checked loop), rows shorter than the
// 8-pixel step, batch, and each fused activation; and a channel count that is not (the
// staged path) beside it.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor } from '../../src/interpret/index.js';
import { AssignLayout, FuseEpilogues, applyPass } from '../../passes/index.js';
import { buildPlan, expectClose, runPlan } from './helpers.js';

const floats = (rng: () => number, n: number) => randomTensor('f32', [n], rng, { min: -0.5, max: 0.5 }).data as Float32Array;

describe('NHWC depthwise on whole 8-channel blocks', () => {
  it('matches the interpreter on random depthwise convs', async () => {
    const rng = mulberry32(8080);
    for (let trial = 0; trial < 24; trial++) {
      const c = trial === 23 ? 12 : 8 * randomInt(rng, 1, 6), n = randomInt(rng, 1, 2);
      const k = [1, 2, 3, 3, 5, 7][randomInt(rng, 0, 5)]!, s = randomInt(rng, 1, 3), d = randomInt(rng, 1, 2);
      const h = randomInt(rng, (k - 1) * d + 1, 25), w = randomInt(rng, (k - 1) * d + 1, 31);
      const pads = [randomInt(rng, 0, 3), randomInt(rng, 0, 3), randomInt(rng, 0, 3), randomInt(rng, 0, 3)];
      const act = (['none', 'relu', 'clip', 'sigmoid'] as const)[trial % 4]!;
      const net = new Network();
      const x = net.input('x', 'f32', [n, c, h, w]);
      const a = x.conv({ outChannels: c, kernel: [1, 1], weights: floats(rng, c * c) });
      let dw = a.conv({ outChannels: c, kernel: [k, k], groups: c, weights: floats(rng, c * k * k), bias: trial % 3 ? floats(rng, c) : undefined, strides: [s, s], dilations: [d, d], padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!] });
      if (act === 'relu') dw = dw.relu();
      if (act === 'clip') dw = dw.clip(0, 0.25);
      if (act === 'sigmoid') dw = dw.sigmoid();
      net.markOutput(dw.conv({ outChannels: 3, kernel: [1, 1], weights: floats(rng, 3 * c) }), 'y');
      const nhwc = applyPass(AssignLayout, applyPass(FuseEpilogues, net.graph), { options: { minLayersPerReformat: 0 } });
      expect(nhwc.nodes.map((l) => l.op)).toContain('ConvNhwc');
      const inputs = { x: randomTensor('f32', [n, c, h, w], rng, { min: -1, max: 1 }) };
      const actual = await runPlan(buildPlan(nhwc), inputs);
      expectClose(actual.y!, interpret(net.graph, inputs).y!, `trial ${trial} (c ${c}, ${h}x${w}, k ${k}, s ${s}, d ${d}, pads ${pads}, ${act})`);
    }
  });
});
