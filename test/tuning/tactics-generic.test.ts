// The tactics' portable vector code (vec-kernels.inc built for the baseline ISA, and
// the portable GEMM micro-kernel), forced before the first kernel runs (each test
// file runs in its own process), so machines with AVX2 still test what other CPUs run.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { native } from '../../src/runtime/native.js';
import { checkTactics, shapeRng } from './harness.js';

process.env.KILN_VEC_KERNELS = 'generic';
process.env.KILN_GEMM_KERNEL = 'generic';
const R = shapeRng(77);

describe('tactics on the portable vector code', () => {
  it('uses the portable builds', () => {
    expect(native().fmaPeak(1).isa).toBe('generic');
    expect(native().gemmKernel()).toBe('generic-4x8');
  });

  it('depthwise, Winograd, pooling and GEMV match the interpreter', async () => {
    for (let trial = 0; trial < 6; trial++) {
      const c = R.int(1, 5), h = R.int(4, 17), w = R.int(4, 40), s = R.int(1, 2);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), c, h, w]);
      const dw = x.conv({ outChannels: c, kernel: [3, 3], groups: c, strides: [s, s], padding: [1, 1], weights: R.floats(c * 9), bias: R.floats(c) }).relu();
      const co = R.int(1, 9);
      const wino = dw.conv({ outChannels: co, kernel: [3, 3], padding: [1, 1], weights: R.floats(co * c * 9), bias: R.floats(co) }).clip(-0.5, 0.5);
      const pool = wino.maxPool({ kernel: [2, 2], strides: [R.int(1, 2), R.int(1, 2)] });
      net.markOutput(pool, 'y');
      const seen = await checkTactics(net, `portable trial ${trial}`, trial, 3e-4);
      expect(seen).toEqual(expect.arrayContaining(['depthwise', 'depthwise-8c', 'winograd-2x2', 'pool-2d']));
    }
    for (let trial = 0; trial < 4; trial++) {
      const rows = R.int(1, 7), k = R.int(1, 90), n = R.int(1, 50);
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [rows, k]).fullyConnected({ outputs: n, weights: R.floats(n * k), bias: R.floats(n) }), 'y');
      expect(await checkTactics(net, `portable gemv trial ${trial}`, trial)).toContain('gemv');
    }
  });
});
