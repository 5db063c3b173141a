// The fused Winograd tactic (convWinogradFused: transforms and products per block of
// 16 tiles in cache) against the interpreter: odd output sizes (a clipped last tile
// row and column), tile rows shorter than 8 tiles (runs from two tile rows per
// register tile), paddings from 0 to 2 on each side, channel counts that leave partial
// 6-channel tiles and cross the 96-channel M block, bands of tile rows, batches, a
// fused residual, and each activation.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

const R = shapeRng(2323);

describe('winograd-2x2-fused tactic', () => {
  it('matches the interpreter on random 3x3 convs', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 16; trial++) {
      const c = R.pick([R.int(1, 9), R.int(10, 40)]), co = R.pick([R.int(1, 13), R.int(90, 110)]);
      const pads = [R.int(0, 2), R.int(0, 2), R.int(0, 2), R.int(0, 2)];
      const h = R.int(3, 35), w = R.int(3, 41);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 3), c, h, w]);
      let y = x.conv({ outChannels: co, kernel: [3, 3], weights: R.floats(co * c * 9), bias: R.chance(0.7) ? R.floats(co) : undefined, padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!] });
      const act = R.pick(['none', 'relu', 'clip', 'sigmoid']);
      if (act === 'relu') y = y.relu();
      if (act === 'clip') y = y.clip(-0.25, 0.5);
      if (act === 'sigmoid') y = y.sigmoid();
      net.markOutput(y, 'y');
      for (const t of await checkTactics(net, `fused winograd trial ${trial} (c ${c}, co ${co}, ${h}x${w}, pads ${pads})`, trial, 3e-4)) seen.add(t);
    }
    expect(seen).toContain('winograd-2x2-fused');
  });

  it('handles a fused residual and a tall plane split into bands', async () => {
    const res = new Network();
    const rx = res.input('x', 'f32', [2, 14, 11, 9]);
    res.markOutput(rx.conv({ outChannels: 14, kernel: [3, 3], padding: [1, 1], weights: R.floats(14 * 14 * 9), bias: R.floats(14) }).add(rx).relu(), 'y');
    expect(await checkTactics(res, 'residual fused winograd', 3, 3e-4)).toContain('winograd-2x2-fused');
    const tall = new Network();
    tall.markOutput(tall.input('x', 'f32', [1, 5, 131, 23]).conv({ outChannels: 7, kernel: [3, 3], padding: [1, 1], weights: R.floats(7 * 5 * 9) }), 'y');
    expect(await checkTactics(tall, 'banded fused winograd', 4, 3e-4)).toContain('winograd-2x2-fused');
  });
});
