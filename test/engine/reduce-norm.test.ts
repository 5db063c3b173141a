// LayerNormalization, InstanceNormalization, BatchNormalization, LogSoftmax and
// Hardmax natively against the interpreter: odd sizes, every axis, broadcast and
// computed (non-constant) parameters, and the transformer shape (seq 128, width 768).
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { mulberry32, randomInt, randomTensor, type Rng } from '../../src/interpret/index.js';
import { checkAgainstInterpreter, randomInputs } from './helpers.js';
import { native } from '../../src/runtime/native.js';

const dims = (rng: Rng, rank: number, max = 9) => Array.from({ length: rank }, () => randomInt(rng, 1, max));
const vals = (rng: Rng, shape: number[], min = -1, max = 1) => randomTensor('f32', shape, rng, { min, max });

describe('layerNorm', () => {
  it('every axis, with and without bias, constant and broadcast parameters', async () => {
    const rng = mulberry32(21);
    for (let k = 0; k < 10; k++) {
      const shape = dims(rng, randomInt(rng, 1, 4));
      const axis = randomInt(rng, -shape.length, shape.length - 1);
      const normalized = shape.slice(axis < 0 ? axis + shape.length : axis);
      // Every third case broadcasts the scale from its last dim alone.
      const scaleShape = k % 3 === 2 ? [normalized[normalized.length - 1]!] : normalized;
      const net = new Network();
      const x = net.input('x', 'f32', shape);
      const scale = net.constant('scale', vals(rng, scaleShape, 0.5, 1.5), scaleShape);
      const bias = k % 2 ? vals(rng, normalized) : undefined;
      net.markOutput(x.layerNorm({ scale, bias, axis, epsilon: k === 3 ? 0.1 : undefined }), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng, { min: -3, max: 3 }), `layerNorm ${shape} axis ${axis} scale ${scaleShape}`, 3, 2e-4);
    }
  });

  it('transformer shape [1,128,768], with an offset mean, and computed parameters', async () => {
    const rng = mulberry32(22);
    const net = new Network();
    const x = net.input('x', 'f32', [1, 128, 768]);
    net.markOutput(x.layerNorm({ scale: vals(rng, [768], 0.5, 1.5), bias: vals(rng, [768]) }), 'y');
    await checkAgainstInterpreter(net, { x: vals(rng, [1, 128, 768], 90, 110) }, 'layerNorm 128x768', 3, 1e-3);
    const computed = new Network();
    const h = computed.input('h', 'f32', [4, 33]);
    const s = computed.input('s', 'f32', [33]);
    computed.markOutput(h.layerNorm({ scale: s.relu(), bias: s }), 'y');
    await checkAgainstInterpreter(computed, randomInputs(computed, rng), 'layerNorm with computed scale');
  });
});

describe('instanceNorm and batchNorm', () => {
  it('instance norm over 1-D to 3-D spatial dims', async () => {
    const rng = mulberry32(31);
    for (const shape of [[2, 3, 17], [1, 4, 5, 6], [2, 2, 3, 4, 5], [1, 3, 64, 65]]) {
      const net = new Network();
      const c = shape[1]!;
      net.markOutput(net.input('x', 'f32', shape).instanceNorm({ scale: vals(rng, [c]), bias: vals(rng, [c]), epsilon: 1e-3 }), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng, { min: -2, max: 2 }), `instanceNorm ${shape}`, 3, 2e-4);
    }
  });

  it('batch norm from rank 2 to 5, constant and computed statistics', async () => {
    const rng = mulberry32(32);
    for (const shape of [[5, 3], [2, 4, 7], [1, 3, 8, 9], [2, 2, 3, 4, 5]]) {
      const c = shape[1]!;
      const net = new Network();
      const x = net.input('x', 'f32', shape);
      const variance = net.input('var', 'f32', [c]);
      net.markOutput(x.batchNorm({ scale: vals(rng, [c]), bias: vals(rng, [c]), mean: vals(rng, [c]), var: variance.relu() }), 'y');
      const inputs = { ...randomInputs(net, rng), var: vals(rng, [c], 0.2, 2) };
      await checkAgainstInterpreter(net, inputs, `batchNorm ${shape}`);
    }
  });
});

describe('logSoftmax and hardmax', () => {
  it('log softmax along every axis, large logits, transformer rows', async () => {
    const rng = mulberry32(41);
    for (const [shape, axis] of [[[3, 5, 7], 0], [[3, 5, 7], 1], [[3, 5, 7], -1], [[2, 1000], 1], [[12, 128, 128], -1], [[4, 300, 3], 1]] as const) {
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [...shape]).logSoftmax(axis), 'y');
      await checkAgainstInterpreter(net, randomInputs(net, rng, { min: -40, max: 40 }), `logSoftmax ${shape} axis ${axis}`, 3, 1e-4);
    }
  });

  it('hardmax along every axis', async () => {
    const rng = mulberry32(42);
    for (let k = 0; k < 6; k++) {
      const shape = dims(rng, randomInt(rng, 1, 4));
      const axis = randomInt(rng, -shape.length, shape.length - 1);
      const net = new Network();
      net.markOutput(net.input('x', 'f32', shape).hardmax(axis), 'y');
      const x = vals(rng, shape, -3, 3);
      (x.data as Float32Array).forEach((v, i, a) => (a[i] = Math.round(v)));
      await checkAgainstInterpreter(net, { x }, `hardmax ${shape} axis ${axis}`);
    }
  });
});

describe('kernel checks at load', () => {
  const tensor = (name: string, shape: number[], offset = 0, dtype = 'f32') => ({ name, dtype, shape, location: 'arena', offset });
  const plan = (layer: { kernel: string; ints: number[]; floats: number[]; tensors: ReturnType<typeof tensor>[]; outputs: number[] }) => ({
    kilnVersion: '0.0.0', buildDigest: new Uint8Array(32), targetIsa: [], arenaBytes: 1 << 16, weights: new Uint8Array(0),
    tensors: layer.tensors, inputs: [0], outputs: layer.outputs,
    layers: [{ name: 'l', kernel: layer.kernel, inputs: [0], outputs: layer.outputs, ints: layer.ints, floats: layer.floats, info: '{}' }],
  });
  const refuse = (p: ReturnType<typeof plan>) => {
    try {
      native().serializePlan(p as never);
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  it('names the layer, the parameter and the shapes', () => {
    expect(refuse(plan({ kernel: 'reduce', ints: [1, 2], floats: [], tensors: [tensor('x', [2, 3]), tensor('y', [2], 1024)], outputs: [1] })))
      .toBe("layer 'l': axis (ints[1]) is 2; expected 0..1");
    expect(refuse(plan({ kernel: 'reduce', ints: [1, 1], floats: [], tensors: [tensor('x', [2, 3]), tensor('y', [3], 1024)], outputs: [1] })))
      .toBe("layer 'l': kernel reduce expects output f32[2,1] or f32[2] for input 'x' f32[2,3], got 'y' f32[3]");
    expect(refuse(plan({ kernel: 'reduce', ints: [1, 0], floats: [], tensors: [tensor('x', [2, 3], 0, 'i32'), tensor('y', [3], 1024, 'i32')], outputs: [1] })))
      .toBe("layer 'l': kernel reduce in mode mean supports f32; input 'x' i32[2,3]");
    expect(refuse(plan({ kernel: 'topk', ints: [1, 4, 1, 1], floats: [], tensors: [tensor('x', [2, 3]), tensor('v', [2, 3], 1024), tensor('i', [2, 3], 2048, 'i64')], outputs: [1, 2] })))
      .toBe("layer 'l': k (ints[1]) is 4; expected 1..3");
    expect(refuse(plan({ kernel: 'logSoftmax', ints: [0], floats: [], tensors: [tensor('x', [2, 3]), tensor('y', [3, 2], 1024)], outputs: [1] })))
      .toBe("layer 'l': kernel logSoftmax expects output f32[2,3] (the input's shape), got 'y' f32[3,2]");
  });
});
