// Plans through the public API: round trip into a fresh Runtime, and every kind of
// damaged plan refused with a clear KilnError (never a crash).
import { describe, expect, it } from 'vitest';
import { KilnError, Network, Runtime } from '../../src/index.js';
import { interpret, mulberry32, randomTensor } from '../../src/interpret/index.js';
import { buildPlan, expectClose, quiet, randomInputs, runPlan } from './helpers.js';

function lenetLike() {
  const rng = mulberry32(1);
  const w = (shape: number[]) => randomTensor('f32', shape, rng, { min: -0.3, max: 0.3 });
  const net = new Network();
  const y = net.input('data', 'f32', [2, 1, 12, 12])
    .scale({ mode: 'uniform', scale: 1 / 255, shift: -0.5 })
    .conv({ name: 'conv1', outChannels: 4, kernel: [3, 3], weights: w([4, 1, 3, 3]), bias: w([4]) })
    .maxPool({ name: 'pool1', kernel: [2, 2] })
    .fullyConnected({ name: 'fc1', outputs: 16, weights: w([16, 100]), bias: w([16]) })
    .relu('relu1')
    .fullyConnected({ name: 'fc2', outputs: 5, weights: w([5, 16]), bias: w([5]) })
    .softmax(1, 'softmax');
  net.markOutput(y, 'prob');
  return net;
}

describe('plan round trip', () => {
  it('serialize, deserialize in a new Runtime: identical outputs, fused layer names kept', async () => {
    const net = lenetLike();
    const plan = buildPlan(net);
    const inputs = randomInputs(net, mulberry32(2), { min: 0, max: 255 });
    const first = await runPlan(plan, inputs);
    const copy = new Uint8Array(plan);
    const second = await runPlan(copy, inputs);
    expect(Array.from(second.prob!.data as Float32Array)).toEqual(Array.from(first.prob!.data as Float32Array));
    expectClose(first.prob!, interpret(net.graph, inputs).prob!, 'lenet-like');
    const engine = new Runtime(quiet).deserializeEngine(copy);
    expect(engine.inputs).toEqual([{ name: 'data', dtype: 'f32', shape: [2, 1, 12, 12] }]);
    expect(engine.outputs).toEqual([{ name: 'prob', dtype: 'f32', shape: [2, 5] }]);
    const names = engine.layers.map((l) => l.name);
    expect(names).toContain('fc1 + bias + relu1');
    expect(engine.layers.find((l) => l.name === 'fc1 + bias + relu1')!.fused).toEqual(['fc1', 'fc1.bias_add', 'relu1']);
  });

  it('the same network and config give byte-identical plans', () => {
    expect(Buffer.from(buildPlan(lenetLike())).equals(Buffer.from(buildPlan(lenetLike())))).toBe(true);
  });
});

describe('damaged plans are refused with a clear error', () => {
  const plan = buildPlan(lenetLike());
  const load = (bytes: Uint8Array) => new Runtime(quiet).deserializeEngine(bytes);
  const refusal = (bytes: Uint8Array): KilnError => {
    try {
      load(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(KilnError);
      return e as KilnError;
    }
    throw new Error('the damaged plan was accepted');
  };

  it('wrong magic', () => {
    const bad = new Uint8Array(plan);
    bad[0] = 0x58;
    expect(refusal(bad).message).toMatch(/not a kiln plan/);
  });
  it('wrong version', () => {
    const bad = new Uint8Array(plan);
    new DataView(bad.buffer).setUint32(8, 99, true);
    expect(refusal(bad).message).toMatch(/version 99/);
  });
  it('truncated at many lengths', () => {
    for (const n of [0, 4, 8, 12, 20, 40, 64, 100, 200, plan.length >> 1, plan.length - 64, plan.length - 1]) {
      expect(refusal(plan.subarray(0, n)).message, `length ${n}`).toMatch(/truncated|not a kiln plan|too short|shorter/i);
    }
  });
  it('a flipped byte anywhere in the body', () => {
    const rng = mulberry32(4);
    for (let k = 0; k < 20; k++) {
      const bad = new Uint8Array(plan);
      const at = 128 + Math.floor(rng() * (plan.length - 128));
      bad[at] = bad[at]! ^ 0x10;
      expect(refusal(bad).message, `byte ${at}`).toMatch(/checksum|corrupt/i);
    }
  });
  it('not a Uint8Array', () => {
    expect(() => load('plan' as never)).toThrow('deserializeEngine expects the plan as a Uint8Array, received string');
  });
});
