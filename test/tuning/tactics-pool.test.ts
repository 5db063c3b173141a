// The pool-2d tactic (one call per plane, pool-plane.inc) against the interpreter:
// max and average pools with strides 1, 2 and 3 (the horizontal pass's three paths),
// padding on every side (ceil-mode windows), countIncludePad, widths that leave a
// partial last vector, planes that go several to a work item, and global pools;
// horizontal stride 2 (parity-split rows, masked last columns) on every width 1-19.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

const R = shapeRng(4242);

describe('pool-2d tactic', () => {
  it('matches the interpreter on random 2-D pools', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 24; trial++) {
      const k = [R.int(1, 5), R.int(1, 5)], s = [R.int(1, 3), R.int(1, 3)];
      const pb = [R.int(0, k[0]! - 1), R.int(0, k[1]! - 1)], pe = [R.int(0, k[0]! - 1), R.int(0, k[1]! - 1)];
      const h = R.int(k[0]!, 30), w = R.int(k[1]!, 45);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 3), R.int(1, 6), h, w]);
      const o = { kernel: k, strides: s, padsBegin: pb, padsEnd: pe, countIncludePad: R.chance(0.5) };
      net.markOutput(R.chance(0.5) ? x.maxPool(o) : x.avgPool(o), 'y');
      for (const t of await checkTactics(net, `pool trial ${trial} (${h}x${w}, k ${k}, s ${s}, pads ${pb}/${pe})`, trial)) seen.add(t);
    }
    expect(seen).toContain('pool-2d');
  });

  it('handles global pools, LeNet planes, SqueezeNet 3x3/2 and 1-D pools', async () => {
    for (const [shape, kernel] of [[[2, 37, 13, 13], [13, 13]], [[1, 5, 7, 7], [7, 7]], [[3, 4, 1, 1], [1, 1]], [[1, 3, 2, 40], [2, 40]]] as const) {
      const avg = new Network();
      avg.markOutput(avg.input('x', 'f32', [...shape]).avgPool({ kernel }), 'y');
      expect(await checkTactics(avg, `global average ${shape}`)).toContain('pool-2d');
      const max = new Network();
      max.markOutput(max.input('x', 'f32', [...shape]).maxPool({ kernel }), 'y');
      expect(await checkTactics(max, `global max ${shape}`)).toContain('pool-2d');
    }
    const lenet = new Network();
    lenet.markOutput(lenet.input('x', 'f32', [9, 6, 24, 24]).maxPool({ kernel: [2, 2] }), 'y');
    expect(await checkTactics(lenet, 'lenet pool')).toContain('pool-2d');
    const squeeze = new Network();
    squeeze.markOutput(squeeze.input('x', 'f32', [1, 3, 55, 55]).maxPool({ kernel: [3, 3], strides: [2, 2], padsEnd: [1, 1] }), 'y');
    expect(await checkTactics(squeeze, 'squeezenet pool')).toContain('pool-2d');
    // Horizontal stride 2 (pool-plane.inc's parity-split path): ResNet's padded 3x3/2 on an even width,
    // SqueezeNet's odd widths, an odd left pad, and widths 1-19 whose last columns take the masked tail.
    for (const [h, w, k, pb, pe] of [[16, 112, 3, 1, 1], [13, 111, 3, 0, 0], [9, 27, 3, 0, 1], [7, 30, 4, 3, 2]] as const) {
      const s2 = new Network();
      s2.markOutput(s2.input('x', 'f32', [2, 3, h, w]).maxPool({ kernel: [k, k], strides: [2, 2], padsBegin: [pb, pb], padsEnd: [pe, pe] }), 'y');
      expect(await checkTactics(s2, `stride-2 max pool ${h}x${w} k ${k} pads ${pb}/${pe}`)).toContain('pool-2d');
    }
    for (let w = 1; w <= 19; w++) {
      const tail = new Network();
      const x = tail.input('x', 'f32', [1, 2, 5, w]);
      const kw = Math.min(3, w), p = kw > 1 ? 1 : 0;
      const o = { kernel: [3, kw], strides: [2, 2], padsBegin: [0, w % 2 ? p : 0], padsEnd: [1, p], countIncludePad: w % 3 === 0 };
      tail.markOutput(w % 2 ? x.maxPool(o) : x.avgPool(o), 'y');
      expect(await checkTactics(tail, `stride-2 pool width ${w}`)).toContain('pool-2d');
    }
    const one = new Network();
    one.markOutput(one.input('x', 'f32', [2, 3, 29]).avgPool({ kernel: [3], strides: [2], padding: [1] }), 'y');
    expect(await checkTactics(one, '1-D pool')).toContain('pool-2d');
  });
});
