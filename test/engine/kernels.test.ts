// Every native kernel against the interpreter on random shapes, including odd sizes
// that leave remainders in every GEMM blocking dimension.
import { describe, it } from 'vitest';
import { Network } from '../../src/index.js';
import { mulberry32, randomInt, randomTensor, type Rng } from '../../src/interpret/index.js';
import { checkAgainstInterpreter, randomInputs } from './helpers.js';

const pickDims = (rng: Rng, rank: number, max = 6) => Array.from({ length: rank }, () => randomInt(rng, 1, max));
const weights = (rng: Rng, shape: number[]) => randomTensor('f32', shape, rng, { min: -0.5, max: 0.5 });

describe('unary kernels', () => {
  const cases: [string, (x: ReturnType<Network['input']>) => ReturnType<Network['input']>][] = [
    ['relu', (x) => x.relu()], ['sigmoid', (x) => x.sigmoid()], ['tanh', (x) => x.tanh()], ['gelu', (x) => x.gelu()],
    ['silu', (x) => x.silu()], ['leakyRelu', (x) => x.leakyRelu(0.2)], ['clip', (x) => x.clip(-0.3, 0.6)],
  ];
  for (const [name, f] of cases) {
    it(name, async () => {
      const rng = mulberry32(11);
      for (let k = 0; k < 4; k++) {
        const net = new Network();
        net.markOutput(f(net.input('x', 'f32', pickDims(rng, randomInt(rng, 1, 4), 9))), 'y');
        await checkAgainstInterpreter(net, randomInputs(net, rng, { min: -4, max: 4 }), `${name} case ${k}`);
      }
    });
  }
});

describe('binary kernels with broadcasting', () => {
  for (const op of ['add', 'sub', 'mul', 'div', 'max', 'min', 'pow'] as const) {
    it(op, async () => {
      const rng = mulberry32(23);
      for (let k = 0; k < 5; k++) {
        const rank = randomInt(rng, 1, 4);
        const a = pickDims(rng, rank);
        const b = a.slice(randomInt(rng, 0, rank - 1)).map((d) => (rng() < 0.4 ? 1 : d));
        const net = new Network();
        const [x, y] = rng() < 0.5 ? [net.input('a', 'f32', a), net.input('b', 'f32', b)] : [net.input('b', 'f32', b), net.input('a', 'f32', a)];
        net.markOutput(x[op](y), 'out');
        await checkAgainstInterpreter(net, randomInputs(net, rng, { min: 0.2, max: 2 }), `${op} ${JSON.stringify([a, b])}`);
      }
    });
  }
});

describe('scale', () => {
  for (const mode of ['uniform', 'channel', 'elementwise'] as const) {
    it(mode, async () => {
      const rng = mulberry32(5);
      for (let k = 0; k < 3; k++) {
        const shape = pickDims(rng, 4);
        const n = mode === 'uniform' ? 1 : mode === 'channel' ? shape[1]! : shape.reduce((p, q) => p * q, 1);
        const vals = () => Float32Array.from({ length: n }, () => 0.5 + rng());
        const net = new Network();
        const x = net.input('x', 'f32', shape);
        const power = k === 2 ? vals() : undefined;
        net.markOutput(x.scale({ mode, scale: vals(), shift: k === 1 ? undefined : vals(), power }), 'y');
        await checkAgainstInterpreter(net, randomInputs(net, rng, { min: 0.1, max: 2 }), `scale ${mode} ${shape}`);
      }
    });
  }
});

describe('conv', () => {
  it('2-D with stride, padding, dilation, groups, bias, at both fusion levels', async () => {
    const rng = mulberry32(42);
    for (let k = 0; k < 14; k++) {
      const groups = [1, 1, 2, 3][randomInt(rng, 0, 3)]!;
      const cin = groups * randomInt(rng, 1, 4);
      const cout = groups * randomInt(rng, 1, 7);
      const kh = randomInt(rng, 1, 4);
      const kw = randomInt(rng, 1, 4);
      const dil = [randomInt(rng, 1, 2), randomInt(rng, 1, 2)];
      const h = randomInt(rng, dil[0]! * (kh - 1) + 1, 13);
      const w = randomInt(rng, dil[1]! * (kw - 1) + 1, 13);
      const net = new Network();
      const x = net.input('x', 'f32', [randomInt(rng, 1, 2), cin, h, w]);
      const y = x.conv({
        outChannels: cout, kernel: [kh, kw], weights: weights(rng, [cout, cin / groups, kh, kw]), bias: rng() < 0.7 ? weights(rng, [cout]) : undefined,
        strides: [randomInt(rng, 1, 3), randomInt(rng, 1, 2)], padsBegin: [randomInt(rng, 0, 2), randomInt(rng, 0, 1)], padsEnd: [randomInt(rng, 0, 1), randomInt(rng, 0, 2)], dilations: dil, groups,
      });
      net.markOutput(rng() < 0.5 ? y.relu() : y, 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng), `conv2d case ${k}`, k % 2 === 0 ? 3 : 0);
    }
  });

  it('depthwise, 1x1, large channel counts (GEMM remainders)', async () => {
    const rng = mulberry32(7);
    for (const [cin, cout, groups, kk] of [[8, 8, 8, 3], [37, 53, 1, 1], [17, 67, 1, 3], [64, 70, 1, 1]] as const) {
      const net = new Network();
      const x = net.input('x', 'f32', [1, cin, 9, 11]);
      net.markOutput(x.conv({ outChannels: cout, kernel: [kk, kk], padding: [kk >> 1, kk >> 1], weights: weights(rng, [cout, cin / groups, kk, kk]), bias: weights(rng, [cout]), groups }).sigmoid(), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng), `conv ${cin}->${cout} g${groups} k${kk}`);
    }
  });

  it('1-D and 3-D', async () => {
    const rng = mulberry32(9);
    const n1 = new Network();
    n1.markOutput(n1.input('x', 'f32', [2, 3, 17]).conv({ outChannels: 5, kernel: [3], strides: [2], padding: [1], dilations: [2], weights: weights(rng, [5, 3, 3]) }), 'y');
    await checkAgainstInterpreter(n1, randomInputs(n1, rng), 'conv1d');
    const n3 = new Network();
    n3.markOutput(n3.input('x', 'f32', [1, 2, 5, 6, 7]).conv({ outChannels: 4, kernel: [2, 3, 2], padding: [1, 0, 1], weights: weights(rng, [4, 2, 2, 3, 2]), bias: weights(rng, [4]) }), 'y');
    await checkAgainstInterpreter(n3, randomInputs(n3, rng), 'conv3d');
  });
});

describe('pool', () => {
  it('max and average, with padding and countIncludePad, 1-D to 3-D', async () => {
    const rng = mulberry32(3);
    for (let k = 0; k < 12; k++) {
      const nd = [2, 2, 1, 3][k % 4]!;
      const kernel = pickDims(rng, nd, 3);
      const pads = kernel.map((q) => randomInt(rng, 0, q - 1));
      const shape = [randomInt(rng, 1, 2), randomInt(rng, 1, 4), ...kernel.map((q) => randomInt(rng, q, 9))];
      const net = new Network();
      const x = net.input('x', 'f32', shape);
      const opts = { kernel, strides: pickDims(rng, nd, 2), padsBegin: pads, padsEnd: pads, countIncludePad: rng() < 0.5 };
      net.markOutput(k % 2 ? x.maxPool(opts) : x.avgPool(opts), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng), `pool case ${k} ${JSON.stringify({ shape, ...opts })}`);
    }
  });
});

describe('matmul', () => {
  it('transposes, batch broadcast, odd sizes', async () => {
    const rng = mulberry32(77);
    for (let k = 0; k < 10; k++) {
      const [m, n, kk] = [randomInt(rng, 1, 70), randomInt(rng, 1, 70), randomInt(rng, 1, 70)];
      const transA = rng() < 0.5;
      const transB = rng() < 0.5;
      const batchA = k % 3 === 0 ? [2, 1] : k % 3 === 1 ? [3] : [];
      const batchB = k % 3 === 0 ? [3] : [];
      const net = new Network();
      const a = net.input('a', 'f32', [...batchA, ...(transA ? [kk, m] : [m, kk])]);
      const b = net.input('b', 'f32', [...batchB, ...(transB ? [n, kk] : [kk, n])]);
      net.markOutput(a.matmul(b, { transA, transB }), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng), `matmul ${JSON.stringify({ m, n, kk, transA, transB, batchA, batchB })}`);
    }
  });

  it('fully connected with bias and activation (fused and unfused)', async () => {
    const rng = mulberry32(8);
    for (const level of [0, 3]) {
      const net = new Network();
      const x = net.input('x', 'f32', [3, 4, 5, 5]);
      const fc = x.fullyConnected({ outputs: 33, weights: weights(rng, [33, 100]), bias: weights(rng, [33]) }).tanh();
      net.markOutput(fc.fullyConnected({ outputs: 7, weights: weights(rng, [7, 33]) }).softmax(1), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng), `fc level ${level}`, level);
    }
  });
});

describe('softmax, reshape, transpose, concat', () => {
  it('softmax along every axis', async () => {
    const rng = mulberry32(13);
    for (const axis of [0, 1, 2, -1]) {
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [3, 5, 7]).softmax(axis), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng, { min: -20, max: 20 }), `softmax axis ${axis}`);
    }
  });
  it('movement', async () => {
    const rng = mulberry32(17);
    for (let k = 0; k < 6; k++) {
      const shape = pickDims(rng, 4, 5);
      const perm = [0, 1, 2, 3].sort(() => rng() - 0.5);
      const net = new Network();
      const x = net.input('x', 'f32', shape);
      const t = x.transpose(perm).relu();
      const r = x.reshape([shape[0]!, -1]).sigmoid();
      const other = net.input('z', 'f32', [shape[0]!, 3]);
      net.markOutput(t, 't');
      net.markOutput(net.concat([r, other, r], { axis: 1 }), 'c');
      await checkAgainstInterpreter(net, randomInputs(net, rng), `movement ${shape} perm ${perm}`);
    }
  });
});
