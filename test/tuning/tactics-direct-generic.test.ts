// The direct conv tile, the plane pools and the NHWC depthwise built for the baseline ISA
// (conv-direct-generic.cc), forced before the first kernel runs (each test file
// runs in its own process), so machines with AVX2 still test what other CPUs run.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { interpret } from '../../src/interpret/index.js';
import { AssignLayout, FuseEpilogues, applyPass } from '../../passes/index.js';
import { buildPlan, expectClose, runPlan } from '../engine/helpers.js';
import { checkTactics, randomInputs, shapeRng } from './harness.js';

process.env.KILN_VEC_KERNELS = 'generic';
const R = shapeRng(313);

describe('direct conv and plane pools on the portable build', () => {
  it('match the interpreter', async () => {
    for (let trial = 0; trial < 6; trial++) {
      const c = R.int(1, 7), co = R.int(1, 13), k = R.int(1, 3), s = R.int(1, 2);
      const h = R.int(k, 19), w = R.int(k, 27);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), c, h, w]);
      const y = x.conv({ outChannels: co, kernel: [k, k], strides: [s, s], padding: [k >> 1, k >> 1], weights: R.floats(co * c * k * k), bias: R.floats(co) }).relu();
      const p = R.chance(0.5) ? y.maxPool({ kernel: [2, 2], strides: [R.int(1, 3), 2] }) : y.avgPool({ kernel: [3, 3], strides: [2, 2], padding: [1, 1] });
      net.markOutput(p.avgPool({ kernel: [...p.type.shape.slice(2)] as number[] }), 'y');
      const seen = await checkTactics(net, `portable trial ${trial}`, trial, 2e-4);
      expect(seen).toEqual(expect.arrayContaining(['direct-6x16', 'pool-2d']));
    }
  });

  it('NHWC depthwise matches the interpreter', async () => {
    for (let trial = 0; trial < 4; trial++) {
      const c = 8 * R.int(1, 3), k = R.int(1, 3) * 2 - 1, s = R.int(1, 2), h = R.int(k, 17), w = R.int(k, 19);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), c, h, w]);
      const a = x.conv({ outChannels: c, kernel: [1, 1], weights: R.floats(c * c) });
      const dw = a.conv({ outChannels: c, kernel: [k, k], groups: c, strides: [s, s], padding: [k >> 1, k >> 1], weights: R.floats(c * k * k), bias: R.floats(c) }).clip(0, 0.5);
      net.markOutput(dw.conv({ outChannels: 3, kernel: [1, 1], weights: R.floats(3 * c) }), 'y');
      const nhwc = applyPass(AssignLayout, applyPass(FuseEpilogues, net.graph), { options: { minLayersPerReformat: 0 } });
      expect(nhwc.nodes.map((l) => l.op)).toContain('ConvNhwc');
      const inputs = randomInputs(net, trial);
      expectClose((await runPlan(buildPlan(nhwc), inputs)).y!, interpret(net.graph, inputs).y!, `portable NHWC depthwise trial ${trial}`);
    }
  });
});
