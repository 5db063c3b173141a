// The NHWC depthwise conv (kernel convDepthwiseNhwc) against the interpreter, through
// AssignLayout (every candidate converted). Its paths: 3x3 kernels without dilation at
// stride 1 or 2 on channel counts divisible by 8 read x in place (vec-kernels-dw-nhwc.inc:
// tiles of 2 rows x 4 pixels or 1 x 8, single pixels, checked edge pixels, zero rows for
// padding); other kernels on such counts copy a band (conv-direct.inc dw_nhwc); other
// channel counts stage 8-channel blocks. Cases: 1 to 8 channel blocks, kernels 1..5 and 7,
// strides 1..3 per axis, dilation, asymmetric paddings up to wider than the reach, rows
// narrower than a tile, odd output heights (a last band of one row), batches split into
// bands of 8, 4 or 2 rows, and each fused activation.
import { describe, it } from 'vitest';
import { mulberry32, randomInt } from '../../src/interpret/index.js';
import { checkNhwcDepthwise, type DepthwiseCase } from './nhwc-depthwise-cases.js';

const acts = ['none', 'relu', 'clip', 'relu6', 'sigmoid'] as const;

describe('NHWC depthwise', () => {
  it('matches the interpreter on random depthwise convs', async () => {
    const rng = mulberry32(8080);
    for (let trial = 0; trial < 24; trial++) {
      const k = [1, 2, 3, 3, 5, 7][randomInt(rng, 0, 5)]!, s = randomInt(rng, 1, 3), d = randomInt(rng, 1, 2);
      const t: DepthwiseCase = {
        n: randomInt(rng, 1, 2), c: trial === 23 ? 12 : 8 * randomInt(rng, 1, 6), k, strides: [s, s], dilation: d,
        h: randomInt(rng, (k - 1) * d + 1, 25), w: randomInt(rng, (k - 1) * d + 1, 31),
        pads: [randomInt(rng, 0, 3), randomInt(rng, 0, 3), randomInt(rng, 0, 3), randomInt(rng, 0, 3)],
        bias: trial % 3 !== 0, act: acts[trial % 5]!,
      };
      await checkNhwcDepthwise(rng, t, `trial ${trial}`);
    }
  });

  it('reads 3x3 windows in place at strides 1 and 2', async () => {
    const rng = mulberry32(3303);
    for (let trial = 0; trial < 40; trial++) {
      const pads: DepthwiseCase['pads'] = [randomInt(rng, 0, 2), randomInt(rng, 0, 2), randomInt(rng, 0, 2), randomInt(rng, 0, 2)];
      const t: DepthwiseCase = {
        n: randomInt(rng, 1, 3), c: trial % 10 === 9 ? 8 * randomInt(rng, 1, 4) + randomInt(rng, 1, 7) : 8 * randomInt(rng, 1, 8),
        h: Math.max(randomInt(rng, 1, 20), 3 - pads[0] - pads[2]), w: Math.max(randomInt(rng, 1, 31), 3 - pads[1] - pads[3]),
        k: 3, strides: [randomInt(rng, 1, 2), randomInt(rng, 1, 2)], dilation: 1, pads, bias: trial % 4 !== 0, act: acts[trial % 5]!,
      };
      await checkNhwcDepthwise(rng, t, `3x3 trial ${trial}`);
    }
  });

  it('splits tall batches into bands of 8 and 4 rows, odd heights leaving a last single row', async () => {
    const rng = mulberry32(88);
    for (const [n, h, w, s] of [[4, 32, 32, 1], [8, 31, 17, 1], [8, 29, 30, 2], [6, 13, 9, 1]] as const)
      await checkNhwcDepthwise(rng, { n, c: 16, h, w, k: 3, strides: [s, s], dilation: 1, pads: [1, 1, 1, 1], bias: true, act: 'relu6' }, 'banded');
  });

  it('matches MobileNetV2 planes (ReLU6, pad 1; fewer channels, whose count the tiles do not depend on)', async () => {
    const rng = mulberry32(2);
    for (const [c, h, s] of [[32, 28, 1], [32, 28, 2], [48, 14, 1], [48, 14, 2], [64, 7, 1]] as const)
      await checkNhwcDepthwise(rng, { n: 2, c, h, w: h, k: 3, strides: [s, s], dilation: 1, pads: [1, 1, 1, 1], bias: true, act: 'relu6' }, 'MobileNetV2');
  });
});
