// The NHWC depthwise conv's 3x3 in-place tiles (vec-kernels-dw-nhwc.inc) in the portable
// vector build, forced before the first kernel runs (each test file runs in its own
// process), so machines with AVX2 still test what other CPUs run.
import { describe, expect, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/interpret/index.js';
import { native } from '../../src/runtime/native.js';
import { checkNhwcDepthwise } from './nhwc-depthwise-cases.js';

process.env.KILN_VEC_KERNELS = 'generic';

describe('NHWC depthwise on the portable vector code', () => {
  it('uses the portable build', () => {
    expect(native().fmaPeak(1).isa).toBe('generic');
  });

  it('matches the interpreter on 3x3 convs at strides 1 and 2', async () => {
    const rng = mulberry32(404);
    for (let trial = 0; trial < 8; trial++) {
      const s = randomInt(rng, 1, 2);
      await checkNhwcDepthwise(rng, {
        n: randomInt(rng, 1, 2), c: 8 * randomInt(rng, 1, 4), h: randomInt(rng, 1, 15), w: randomInt(rng, 2, 23), k: 3,
        strides: [s, 3 - s], dilation: 1, pads: [1, randomInt(rng, 0, 2), 1, randomInt(rng, 0, 2)], bias: true,
        act: trial % 2 ? 'relu6' : 'none',
      }, `portable trial ${trial}`);
    }
  });
});
