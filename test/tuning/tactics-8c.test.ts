// The depthwise tactic on 8-channel blocks (convDepthwise8c) against the interpreter:
// channel counts that fill whole blocks and leave a partial last block, widths that
// leave remainders of its 4-output and 8x8-transpose steps, strides, dilation, padding
// wider than the kernel's reach, bands of rows, batch, and each fused activation;
// MobileNet's 3x3 pad-1 shapes at strides 1 and 2 with ReLU6 on odd planes, batch 3.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

const R = shapeRng(8088);

describe('depthwise-8c tactic', () => {
  it('matches the interpreter on random 2-D depthwise convs', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 16; trial++) {
      const c = R.pick([8, 16, R.int(1, 7), R.int(9, 27)]);
      const k = [R.int(1, 5), R.int(1, 5)], dil = [R.int(1, 2), R.int(1, 2)], strides = [R.int(1, 3), R.int(1, 3)];
      const pads = [R.int(0, 3), R.int(0, 3), R.int(0, 3), R.int(0, 3)];
      const h = R.int(k[0]! * dil[0]!, 40), w = R.int(k[1]! * dil[1]!, 45);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), c, h, w]);
      let y = x.conv({
        outChannels: c, kernel: k, groups: c, weights: R.floats(c * k[0]! * k[1]!), bias: R.chance(0.7) ? R.floats(c) : undefined,
        strides, dilations: dil, padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!],
      });
      const act = R.pick(['none', 'relu', 'clip', 'sigmoid']);
      if (act === 'relu') y = y.relu();
      if (act === 'clip') y = y.clip(-0.25, 0.5);
      if (act === 'sigmoid') y = y.sigmoid();
      net.markOutput(y, 'y');
      for (const t of await checkTactics(net, `depthwise-8c trial ${trial} (c ${c}, ${h}x${w}, k ${k}, s ${strides})`, trial)) seen.add(t);
    }
    expect(seen).toContain('depthwise-8c');
  });

  it('handles 1-D convs, a tall plane split into bands, and MobileNet 7x7 planes', async () => {
    const one = new Network();
    one.markOutput(one.input('x', 'f32', [2, 11, 37]).conv({ outChannels: 11, kernel: [3], groups: 11, weights: R.floats(33), padding: [1], strides: [2] }), 'y');
    expect(await checkTactics(one, '1-D depthwise-8c')).toContain('depthwise-8c');
    const tall = new Network();
    tall.markOutput(tall.input('x', 'f32', [1, 9, 150, 131]).conv({ outChannels: 9, kernel: [3, 3], groups: 9, weights: R.floats(81), bias: R.floats(9), padding: [1, 1] }).clip(0, 6), 'y');
    expect(await checkTactics(tall, 'banded depthwise-8c')).toContain('depthwise-8c');
    const small = new Network();
    small.markOutput(small.input('x', 'f32', [1, 24, 7, 7]).conv({ outChannels: 24, kernel: [3, 3], groups: 24, weights: R.floats(216), bias: R.floats(24), padding: [1, 1] }).clip(0, 6), 'y');
    expect(await checkTactics(small, '7x7 depthwise-8c')).toContain('depthwise-8c');
  });

  it('matches on MobileNet-like 3x3 convs: strides 1 and 2, odd planes, partial blocks, batch 3, ReLU6 or none', async () => {
    for (let trial = 0; trial < 8; trial++) {
      const c = trial % 2 ? R.int(9, 23) : 8 * R.int(1, 3), s = 1 + (trial % 2), h = R.int(3, 33), w = R.int(3, 37);
      const net = new Network();
      const x = net.input('x', 'f32', [3, c, h, w]);
      const dw = x.conv({ outChannels: c, kernel: [3, 3], groups: c, weights: R.floats(c * 9), bias: R.floats(c), strides: [s, s], padding: [1, 1] });
      net.markOutput(trial % 4 < 2 ? dw.clip(0, 6) : dw, 'y');
      expect(await checkTactics(net, `MobileNet-like depthwise-8c trial ${trial} (c ${c}, ${h}x${w}, s ${s})`, trial)).toContain('depthwise-8c');
    }
  });

  it('is not offered for channel multipliers', async () => {
    const net = new Network();
    net.markOutput(net.input('x', 'f32', [1, 4, 9, 9]).conv({ outChannels: 8, kernel: [3, 3], groups: 4, weights: R.floats(72) }), 'y');
    expect(await checkTactics(net, 'multiplier 2')).not.toContain('depthwise-8c');
  });
});
