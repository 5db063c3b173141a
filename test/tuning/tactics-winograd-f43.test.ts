// The F(4x4, 3x3) Winograd tactic (convWinogradF43: tiles of all images in blocks,
// transforms and products per block in cache) against the interpreter: odd output
// sizes (clipped last tile rows and columns), planes of fewer than 8 tiles (one
// vector of tiles across images and tile rows), paddings 0 to 2 on each side, channel
// counts that leave partial 6-channel tiles and output-channel chunks, several blocks
// and output-channel splits, weights past 16 MB transformed (the large-weight path),
// batches, a fused residual, strided outputs and each activation. F(4,3)'s transforms
// scale by up to 8, so its error is a few times F(2,3)'s; the tolerance is the fused
// F(2,3) test's.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, lowerNetwork, random3x3Trial, shapeRng } from './harness.js';

const R = shapeRng(4343);
const tol = 3e-4;

describe('winograd-4x4-fused tactic', () => {
  it('matches the interpreter on random 3x3 convs', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 14; trial++) {
      const c = R.pick([R.int(1, 9), R.int(10, 40)]), co = R.pick([R.int(1, 13), R.int(40, 110)]);
      for (const t of await random3x3Trial(R, c, co, R.int(3, 30), R.int(3, 37), `winograd f43 trial ${trial}`, trial, tol)) seen.add(t);
    }
    expect(seen).toContain('winograd-4x4-fused');
  });

  it('handles a fused residual, small planes across images and large weights', async () => {
    const res = new Network();
    const rx = res.input('x', 'f32', [2, 14, 11, 9]);
    res.markOutput(rx.conv({ outChannels: 14, kernel: [3, 3], padding: [1, 1], weights: R.floats(14 * 14 * 9), bias: R.floats(14) }).add(rx).relu(), 'y');
    expect(await checkTactics(res, 'residual winograd f43', 3, tol)).toContain('winograd-4x4-fused');
    // 7x7 planes: 4 tiles each, so one vector of 8 tiles spans images; 352 -> 336 channels
    // (U past 16 MB) take the large-weight path: one block, output channels split between threads.
    const small = new Network();
    const sx = small.input('x', 'f32', [2, 352, 7, 7]);
    const scale = (v: number) => v / 16;
    small.markOutput(sx.conv({ outChannels: 336, kernel: [3, 3], padding: [1, 1], weights: R.floats(336 * 352 * 9).map(scale), bias: R.floats(336) })
      .add(sx.conv({ outChannels: 336, kernel: [1, 1], weights: R.floats(336 * 352).map(scale) })), 'y');
    expect(await checkTactics(small, 'large weights winograd f43', 5, tol)).toContain('winograd-4x4-fused');
    // Many tiles of few channels: several blocks of tiles.
    const tall = new Network();
    tall.markOutput(tall.input('x', 'f32', [1, 5, 131, 23]).conv({ outChannels: 7, kernel: [3, 3], padding: [1, 1], weights: R.floats(7 * 5 * 9) }), 'y');
    expect(await checkTactics(tall, 'tall winograd f43', 4, tol)).toContain('winograd-4x4-fused');
  });

  it('writes strided views of a concat (batch > 1), with and without a fused residual', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [3, 6, 9, 11]);
    const a = x.conv({ outChannels: 5, kernel: [1, 1], weights: R.floats(30), bias: R.floats(5) }).relu();
    const b = x.conv({ outChannels: 7, kernel: [3, 3], padding: [1, 1], weights: R.floats(7 * 6 * 9), bias: R.floats(7) }).relu();
    const r = x.conv({ outChannels: 4, kernel: [1, 1], weights: R.floats(24) });
    const c = x.conv({ outChannels: 4, kernel: [3, 3], padding: [1, 1], weights: R.floats(4 * 6 * 9), bias: R.floats(4) }).add(r).relu();
    net.markOutput(net.concat([a, b, c], { axis: 1 }).maxPool({ kernel: [2, 2] }), 'y');
    const plan = lowerNetwork(net, 3, true);
    expect(plan.tensors.filter((t) => t.imageStride).length).toBeGreaterThanOrEqual(2);
    expect(await checkTactics(net, 'strided winograd f43', 6, tol, plan)).toContain('winograd-4x4-fused');
  });
});
