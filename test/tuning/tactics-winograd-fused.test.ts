// The fused Winograd tactic (convWinogradFused: transforms and products per block of
// 16 tiles in cache) against the interpreter: odd output sizes (a clipped last tile
// row and column), tile rows shorter than 8 tiles (runs from two tile rows per
// register tile), paddings from 0 to 2 on each side, channel counts that leave partial
// 6-channel tiles and cross the 96-channel M block, bands of tile rows, batches, a
// fused residual, and each activation.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, random3x3Trial, shapeRng } from './harness.js';

const R = shapeRng(2323);

describe('winograd-2x2-fused tactic', () => {
  it('matches the interpreter on random 3x3 convs', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 16; trial++) {
      const c = R.pick([R.int(1, 9), R.int(10, 40)]), co = R.pick([R.int(1, 13), R.int(90, 110)]);
      for (const t of await random3x3Trial(R, c, co, R.int(3, 35), R.int(3, 41), `fused winograd trial ${trial}`, trial, 3e-4)) seen.add(t);
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
