// The pointwise tile (conv-1x1.inc) built for the baseline ISA, forced before the first
// kernel runs (each test file runs in its own process), so machines with AVX2 still
// test what other CPUs run: partial blocks, partial tiles, strips, a residual, activations.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

process.env.KILN_VEC_KERNELS = 'generic';
const R = shapeRng(2411);

describe('pointwise-4x24 on the portable build', () => {
  it('matches the interpreter', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const n = R.int(1, 2), c = R.int(1, 40), co = R.pick([R.int(1, 7), R.int(33, 45)]), h = R.int(1, 30), w = R.int(1, 60);
      const net = new Network();
      const x = net.input('x', 'f32', [n, c, h, w]);
      let y = x.conv({ outChannels: co, kernel: [1, 1], weights: R.floats(co * c), bias: R.floats(co) });
      if (trial % 2) y = y.add(net.input('r', 'f32', [n, co, h, w]));
      net.markOutput(R.chance(0.5) ? y.relu() : y.sigmoid(), 'y');
      const seen = await checkTactics(net, `portable pointwise trial ${trial} (n ${n}, c ${c}, co ${co}, ${h}x${w})`, trial, 2e-4);
      expect(seen).toContain('pointwise-4x24');
    }
  });
});
