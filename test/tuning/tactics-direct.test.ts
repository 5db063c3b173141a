// The direct conv tactic (convDirect: a 6-channel x 16-pixel register tile over the
// input, no im2col packing) against the interpreter: pointwise convs whose planes end
// in partial 16-pixel runs, channel counts that leave a partial 6-channel block,
// kernels with stride, dilation and padding (staged, phase-split bands), output rows
// narrower than 8 (two rows per tile), a fused residual, each activation, and batch.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

const R = shapeRng(6016);

function activate(y: ReturnType<Network['input']>, act: string) {
  if (act === 'relu') return y.relu();
  if (act === 'clip') return y.clip(-0.25, 0.5);
  if (act === 'sigmoid') return y.sigmoid();
  return y;
}

describe('direct-6x16 tactic', () => {
  it('matches the interpreter on random pointwise convs', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 10; trial++) {
      const c = R.int(1, 40), co = R.pick([R.int(1, 5), 6, R.int(7, 30)]);
      const h = R.int(1, 23), w = R.int(1, 41);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 3), c, h, w]);
      const y = x.conv({ outChannels: co, kernel: [1, 1], weights: R.floats(co * c), bias: R.chance(0.7) ? R.floats(co) : undefined });
      net.markOutput(activate(y, R.pick(['none', 'relu', 'clip', 'sigmoid'])), 'y');
      for (const t of await checkTactics(net, `pointwise trial ${trial} (c ${c}, co ${co}, ${h}x${w})`, trial)) seen.add(t);
    }
    expect(seen).toContain('direct-6x16');
  });

  it('matches the interpreter on random 2-D convs', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 14; trial++) {
      const c = R.int(1, 9), co = R.int(1, 14);
      const k = [R.int(1, 5), R.int(1, 5)], dil = [R.int(1, 2), R.int(1, 2)], strides = [R.int(1, 3), R.int(1, 3)];
      const pads = [R.int(0, 3), R.int(0, 3), R.int(0, 3), R.int(0, 3)];
      const h = R.int(k[0]! * dil[0]!, 30), w = R.int(k[1]! * dil[1]!, 37);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), c, h, w]);
      const y = x.conv({
        outChannels: co, kernel: k, weights: R.floats(co * c * k[0]! * k[1]!), bias: R.chance(0.7) ? R.floats(co) : undefined,
        strides, dilations: dil, padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!],
      });
      net.markOutput(activate(y, R.pick(['none', 'relu', 'clip', 'sigmoid'])), 'y');
      for (const t of await checkTactics(net, `direct trial ${trial} (c ${c}, co ${co}, ${h}x${w}, k ${k}, s ${strides})`, trial, 2e-4)) seen.add(t);
    }
    expect(seen).toContain('direct-6x16');
  });

  it('handles a fused residual, 1-D convs, LeNet-like narrow rows and a stem split into bands', async () => {
    const res = new Network();
    const rx = res.input('x', 'f32', [2, 13, 9, 11]);
    const ry = rx.conv({ outChannels: 13, kernel: [3, 3], padding: [1, 1], weights: R.floats(13 * 13 * 9), bias: R.floats(13) });
    res.markOutput(ry.add(rx).relu(), 'y');
    expect(await checkTactics(res, 'residual direct', 3, 2e-4)).toContain('direct-6x16');
    const pres = new Network();
    const px = pres.input('x', 'f32', [1, 10, 7, 7]);
    pres.markOutput(px.conv({ outChannels: 10, kernel: [1, 1], weights: R.floats(100), bias: R.floats(10) }).add(px), 'y');
    expect(await checkTactics(pres, 'pointwise residual direct', 4, 2e-4)).toContain('direct-6x16');
    const one = new Network();
    one.markOutput(one.input('x', 'f32', [2, 5, 37]).conv({ outChannels: 7, kernel: [3], weights: R.floats(105), padding: [1], strides: [2] }), 'y');
    expect(await checkTactics(one, '1-D direct')).toContain('direct-6x16');
    const lenet = new Network();
    lenet.markOutput(lenet.input('x', 'f32', [3, 6, 12, 12]).conv({ outChannels: 16, kernel: [5, 5], weights: R.floats(16 * 150), bias: R.floats(16) }).relu(), 'y');
    expect(await checkTactics(lenet, 'lenet c2 direct', 5, 2e-4)).toContain('direct-6x16');
    const stem = new Network();
    stem.markOutput(stem.input('x', 'f32', [1, 3, 97, 101]).conv({ outChannels: 32, kernel: [3, 3], strides: [2, 2], padding: [1, 1], weights: R.floats(32 * 27), bias: R.floats(32) }).clip(0, 6), 'y');
    expect(await checkTactics(stem, 'stem direct', 6, 2e-4)).toContain('direct-6x16');
  });

  it('streams outputs larger than 16 MB (pointwise and banded), relu fused', async () => {
    const pw = new Network();
    pw.markOutput(pw.input('x', 'f32', [1, 4, 384, 385]).conv({ outChannels: 31, kernel: [1, 1], weights: R.floats(124), bias: R.floats(31) }).relu(), 'y');
    expect(await checkTactics(pw, 'streamed pointwise direct', 7)).toContain('direct-6x16');
    const band = new Network();
    band.markOutput(band.input('x', 'f32', [1, 3, 401, 400]).conv({ outChannels: 28, kernel: [3, 3], padding: [1, 1], weights: R.floats(28 * 27), bias: R.floats(28) }), 'y');
    expect(await checkTactics(band, 'streamed banded direct', 8, 2e-4)).toContain('direct-6x16');
  });
});

