// The small-channel conv's row routine (conv-small-c.inc) built for the baseline ISA,
// forced before the first kernel runs (each test file runs in its own process), so
// machines with AVX2 still test what other CPUs run: partial tiles and blocks, strides,
// padding, activations in registers and on the stored row.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

process.env.KILN_VEC_KERNELS = 'generic';
const R = shapeRng(5150);

describe('small-c-4x24 on the portable build', () => {
  it('matches the interpreter', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const c = R.int(1, 4), co = R.int(1, 13), k = R.int(1, 7), s = R.int(1, 2), p = R.int(0, 3);
      const h = R.int(k, 30), w = R.int(k, 53);
      const net = new Network();
      const y = net.input('x', 'f32', [R.int(1, 2), c, h, w]).conv({
        outChannels: co, kernel: [k, k], strides: [s, s], padding: [p, p], weights: R.floats(co * c * k * k), bias: R.floats(co),
      });
      net.markOutput(R.pick([y.relu(), y.clip(-0.5, 0.5), y.sigmoid()]), 'y');
      const seen = await checkTactics(net, `portable small-c trial ${trial} (c ${c}, co ${co}, ${h}x${w}, k ${k}, s ${s}, p ${p})`, trial, 2e-4);
      expect(seen).toContain('small-c-4x24');
    }
  });
});
