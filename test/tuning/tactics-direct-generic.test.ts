// The direct conv tile and the plane pools built for the baseline ISA
// (conv-direct-generic.cc), forced before the first kernel runs (each test file
// runs in its own process), so machines with AVX2 still test what other CPUs run.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

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
});
