// Every CPU tactic against the reference interpreter, on random shapes chosen to leave
// remainders in every blocking dimension: output widths that are not multiples of the
// 16-wide vector blocks, row counts that are not multiples of the GEMV's 4 rows,
// column counts that are not multiples of its 16-column panels, odd K, strides,
// padding, dilation, channel multipliers and fused activations.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { checkTactics, shapeRng } from './harness.js';

const R = shapeRng(2024);

function fuse(t: ReturnType<Network['input']>, act: string) {
  if (act === 'relu') return t.relu();
  if (act === 'clip') return t.clip(-0.25, 0.5);
  if (act === 'sigmoid') return t.sigmoid();
  return t;
}

describe('depthwise conv tactic', () => {
  it('matches the interpreter on random 2-D depthwise convs', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 24; trial++) {
      const c = R.int(1, 6), mult = R.pick([1, 1, 2]);
      const k = [R.int(1, 5), R.int(1, 5)], dil = [R.int(1, 2), R.int(1, 2)], strides = [R.int(1, 3), R.int(1, 3)];
      const pads = [R.int(0, 2), R.int(0, 2), R.int(0, 2), R.int(0, 2)];
      const h = R.int(k[0]! * dil[0]!, 20), w = R.int(k[1]! * dil[1]!, 45);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), c, h, w]);
      const y = x.conv({
        outChannels: c * mult, kernel: k, groups: c, weights: R.floats(c * mult * k[0]! * k[1]!), bias: R.chance(0.7) ? R.floats(c * mult) : undefined,
        strides, dilations: dil, padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!],
      });
      net.markOutput(fuse(y, R.pick(['none', 'relu', 'clip', 'sigmoid'])), 'y');
      for (const t of await checkTactics(net, `depthwise trial ${trial}`, trial)) seen.add(t);
    }
    expect([...seen].sort()).toEqual(['depthwise', 'depthwise-8c', 'direct-6x16', 'im2col-gemm', 'im2col-gemm-4x24', 'small-c-4x24']);
  });

  it('handles 1-D depthwise convs and 3x3 layers of MobileNet shape', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [1, 3, 37]);
    net.markOutput(x.conv({ outChannels: 3, kernel: [3], groups: 3, weights: R.floats(9), padding: [1], strides: [2] }), 'y');
    await checkTactics(net, '1-D depthwise');
    const mobile = new Network();
    const m = mobile.input('x', 'f32', [1, 8, 19, 23]);
    mobile.markOutput(m.conv({ outChannels: 8, kernel: [3, 3], groups: 8, weights: R.floats(72), bias: R.floats(8), padding: [1, 1], strides: [2, 2] }).clip(0, 6), 'y');
    await checkTactics(mobile, 'mobilenet-like depthwise');
  });
});

describe('pooling tactic', () => {
  it('matches the interpreter for random max and average pools in 1 and 2 dims', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 30; trial++) {
      const twoD = R.chance(0.8);
      const k = twoD ? [R.int(1, 4), R.int(1, 4)] : [R.int(1, 5)];
      const strides = k.map(() => R.int(1, 3));
      const padsBegin = k.map((kk) => R.int(0, kk - 1)), padsEnd = k.map((kk) => R.int(0, kk - 1));
      const spatial = k.map((kk) => R.int(kk, 23));
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), R.int(1, 5), ...spatial]);
      const o = { kernel: k, strides, padsBegin, padsEnd, countIncludePad: R.chance(0.5) };
      net.markOutput(R.chance(0.5) ? x.maxPool(o) : x.avgPool(o), 'y');
      for (const t of await checkTactics(net, `pool trial ${trial} ${JSON.stringify(o)}`, trial)) seen.add(t);
    }
    expect([...seen].sort()).toEqual(['pool-2d', 'pool-nd']);
  });

  it('handles global average pooling', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 5, 7, 9]);
    net.markOutput(x.avgPool({ kernel: [7, 9] }), 'y');
    await checkTactics(net, 'global average pool');
  });
});

describe('GEMV tactic', () => {
  it('matches the interpreter for fully connected layers with few rows', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 20; trial++) {
      const rows = R.int(1, 9), k = R.int(1, 150) * 2 + 1, n = R.pick([1, 7, 15, 16, 17, 33, 50]);
      const net = new Network();
      const x = net.input('x', 'f32', [rows, k]);
      const y = x.fullyConnected({ outputs: n, weights: R.floats(n * k), bias: R.chance(0.6) ? R.floats(n) : undefined });
      net.markOutput(fuse(y, R.pick(['none', 'relu', 'sigmoid'])), 'y');
      for (const t of await checkTactics(net, `fc trial ${trial} rows ${rows} k ${k} n ${n}`, trial)) seen.add(t);
    }
    expect([...seen].sort()).toEqual(['gemm-blocked', 'gemm-packed', 'gemv']);
  });

  it('handles matmuls with batch dims against constant weights', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 3, 19]);
    const w = net.constant('w', R.floats(19 * 21), [19, 21]);
    net.markOutput(x.matmul(w), 'y');
    const seen = await checkTactics(net, 'batched matmul');
    expect([...seen].sort()).toEqual(['gemm-blocked', 'gemm-packed', 'gemm-rows', 'gemv']);
  });

  it('folds the batch of a into rows against a shared b, constant or not', async () => {
    for (let trial = 0; trial < 8; trial++) {
      const batch = [R.int(1, 9), R.int(1, 3)], m = R.int(1, 7), k = R.int(1, 40), n = R.int(1, 40);
      const net = new Network();
      const x = net.input('x', 'f32', [...batch, m, k]);
      const transB = R.chance(0.5);
      const w = R.chance(0.5) ? net.constant('w', R.floats(k * n), transB ? [n, k] : [k, n]) : net.input('w', 'f32', transB ? [n, k] : [k, n]);
      net.markOutput(x.matmul(w, { transB }), 'y');
      const seen = await checkTactics(net, `gemm rows trial ${trial}`, trial);
      if (batch[0]! * batch[1]! > 1) expect(seen).toContain('gemm-rows');
    }
  });

  it('runs a product of two runtime matrices on both register tiles (gemm-blocked, gemm-blocked-4x24)', async () => {
    for (let trial = 0; trial < 8; trial++) {
      // M around the tiles' 4 and 6 rows, N around 16 and 24 columns, K past one block.
      const m = R.pick([R.int(1, 13), 64, R.int(60, 70)]), k = R.pick([R.int(1, 40), R.int(250, 300)]), n = R.pick([R.int(1, 50), R.int(90, 130)]);
      const transA = R.chance(0.3), transB = R.chance(0.3);
      const net = new Network();
      const a = net.input('a', 'f32', transA ? [k, m] : [m, k]), b = net.input('b', 'f32', transB ? [n, k] : [k, n]);
      net.markOutput(a.matmul(b, { transA, transB }), 'y');
      const seen = await checkTactics(net, `two-input gemm trial ${trial} (m ${m}, k ${k}, n ${n}, transA ${transA}, transB ${transB})`, trial);
      expect(seen).toEqual(expect.arrayContaining(['gemm-blocked', 'gemm-blocked-4x24']));
    }
  });
});

describe('packed-B GEMM tactic', () => {
  it('matches the interpreter on a transformer FFN: odd rows, K past one block, GELU and the residual add fused', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 6; trial++) {
      const rows = R.int(1, 40), d = R.pick([5, 17, 31]), hidden = R.pick([33, 270, 300]);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 2), rows, d]);
      const h = x.matmul(net.constant('w1', R.floats(d * hidden), [d, hidden])).add(net.constant('b1', R.floats(hidden), [hidden])).gelu();
      const y = h.matmul(net.constant('w2', R.floats(hidden * d), [hidden, d])).add(net.constant('b2', R.floats(d), [d])).add(x);
      net.markOutput(y, 'y');
      for (const t of await checkTactics(net, `ffn trial ${trial} rows ${rows} d ${d} hidden ${hidden}`, trial)) seen.add(t);
    }
    expect(seen).toContain('gemm-packed');
  });
});

describe('Winograd F(2x2, 3x3) tactic', () => {
  it('matches the interpreter on random 3x3 convs: odd sizes, all paddings, batches, activations', async () => {
    const seen = new Set<string>();
    for (let trial = 0; trial < 16; trial++) {
      const c = R.int(1, 9), co = R.int(1, 13);
      const pads = [R.int(0, 2), R.int(0, 2), R.int(0, 2), R.int(0, 2)];
      const h = R.int(Math.max(1, 3 - pads[0]! - pads[2]!), 19), w = R.int(Math.max(1, 3 - pads[1]! - pads[3]!), 37);
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(1, 3), c, h, w]);
      const y = x.conv({ outChannels: co, kernel: [3, 3], weights: R.floats(co * c * 9), bias: R.chance(0.7) ? R.floats(co) : undefined,
        padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!] });
      net.markOutput(fuse(y, R.pick(['none', 'relu', 'clip', 'sigmoid'])), 'y');
      for (const t of await checkTactics(net, `winograd trial ${trial} x ${JSON.stringify(x.shape)} pads ${pads}`, trial, 3e-4)) seen.add(t);
    }
    expect([...seen].sort()).toEqual(['direct-6x16', 'im2col-gemm', 'im2col-gemm-4x24', 'small-c-4x24', 'winograd-2x2', 'winograd-2x2-4x24', 'winograd-2x2-fused', 'winograd-4x4-fused']);
  });

  it('handles ResNet-like layers: many channels, K past the GEMM block', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 300, 9, 10]);
    net.markOutput(x.conv({ outChannels: 20, kernel: [3, 3], weights: R.floats(20 * 300 * 9), bias: R.floats(20), padding: [1, 1] }).relu(), 'y');
    await checkTactics(net, 'wide winograd', 5, 5e-4);
  });
});

describe('conv GEMM over a batch (images side by side as columns)', () => {
  it('matches the interpreter on both register tiles: tiles crossing image boundaries, K past the block, strides, groups, 1x1 and larger', async () => {
    for (let trial = 0; trial < 14; trial++) {
      const groups = R.pick([1, 1, 2]);
      const cg = R.int(1, 70), og = R.int(1, 9);
      const k = R.pick([[1, 1], [3, 3], [5, 5], [2, 3]]);
      const strides = k[0] === 1 && R.chance(0.5) ? [1, 1] : [R.int(1, 2), R.int(1, 2)];
      const pad = k[0] === 1 ? [0, 0] : [R.int(0, 1), R.int(0, 1)];
      const net = new Network();
      const x = net.input('x', 'f32', [R.int(2, 5), cg * groups, R.int(k[0]!, 11), R.int(k[1]!, 13)]);
      const y = x.conv({ outChannels: og * groups, kernel: k, groups, strides, padding: pad, weights: R.floats(og * groups * cg * k[0]! * k[1]!), bias: R.floats(og * groups) });
      net.markOutput(fuse(y, R.pick(['none', 'relu', 'clip', 'sigmoid'])), 'y');
      const seen = await checkTactics(net, `batched conv trial ${trial} ${JSON.stringify({ shape: x.shape, k, strides, groups })}`, trial, 3e-4);
      expect(seen.some((t) => t.endsWith('-4x24'))).toBe(true);
    }
  });
});
