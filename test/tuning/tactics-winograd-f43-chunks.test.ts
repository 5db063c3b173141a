// The F(4x4, 3x3) Winograd tactic's two ways of sharing out blocks of tiles, against
// the interpreter on 1 and 2 threads: enough blocks for every thread, where one block
// takes all output channels in one chunk when M of all of them fits in L2 (ResNet-18's
// layer1 and layer2 at batch 8), and too few, where the threads transform a block's
// input channels in parts into one shared V and then take its output channels in parts.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

const R = shapeRng(4344);
const tol = 3e-4;

function conv(batch: number, c: number, hw: number): Network {
  const net = new Network();
  const x = net.input('x', 'f32', [batch, c, hw, hw]);
  const scale = (v: number) => v / Math.sqrt(9 * c);
  net.markOutput(x.conv({ outChannels: c, kernel: [3, 3], padding: [1, 1], weights: R.floats(c * c * 9).map(scale), bias: R.floats(c) }).add(x).relu(), 'y');
  return net;
}

describe('winograd-4x4-fused blocks and chunks', () => {
  it('takes all output channels in one chunk when blocks are many (8 blocks of 64 tiles, 40 -> 40 channels)', async () => {
    expect(await checkTactics(conv(8, 40, 32), 'f43 one chunk', 5, tol)).toContain('winograd-4x4-fused');
  });

  it('shares a block\'s V between the parts of its output channels when blocks are few', async () => {
    expect(await checkTactics(conv(1, 40, 32), 'f43 shared V', 6, tol)).toContain('winograd-4x4-fused');
  });
});
