// The native pointwise kernel (fused elementwise chains) against the interpreter:
// random chains over broadcast inputs, constants and scalars, long enough to cross
// the kernel's 512-element blocks and its thread ranges; the random-network property
// at level 5; and the kernel's refusal of dtypes it does not compute in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder, Network, type NetworkTensor } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor, type Rng } from '../../src/interpret/index.js';
import { compareOutputs, networkArbitrary } from '../../passes/testing/index.js';
import { buildPlan, expectClose, quiet, runPlan } from './helpers.js';

const UNARY: readonly [string, Record<string, number>][] = [
  ['Relu', {}], ['Sigmoid', {}], ['Tanh', {}], ['Gelu', {}], ['Silu', {}], ['LeakyRelu', { alpha: 0.1 }], ['Clip', { min: -0.5, max: 0.7 }],
  ['Abs', {}], ['Neg', {}], ['Sin', {}], ['Atan', {}], ['Erf', {}], ['Softsign', {}], ['Softplus', {}], ['Mish', {}], ['Floor', {}],
  ['HardSwish', {}], ['HardSigmoid', { alpha: 0.3, beta: 0.4 }], ['Elu', { alpha: 0.8 }], ['Selu', { alpha: 1.5, gamma: 1.1 }],
];
const BINARY = ['Add', 'Sub', 'Mul', 'Max', 'Min', 'Div', 'PRelu'] as const;

/** A shape that broadcasts to `shape`: a suffix of it with some dims set to 1. */
const broadcastable = (rng: Rng, shape: number[]) => shape.slice(randomInt(rng, 0, shape.length - 1)).map((d) => (rng() < 0.4 ? 1 : d));

/** A random chain: unary ops, and binary ops with a new input, a constant, a scalar or an earlier value. */
function randomChain(seed: number): { net: Network; inputs: Record<string, ReturnType<typeof randomTensor>> } {
  const rng = mulberry32(seed);
  const net = new Network();
  const shape = Array.from({ length: randomInt(rng, 1, 4) }, () => randomInt(rng, 1, 40));
  const inputs: Record<string, ReturnType<typeof randomTensor>> = {};
  const input = (s: number[]) => {
    const name = `in${Object.keys(inputs).length}`;
    inputs[name] = randomTensor('f32', s, rng, { min: -2, max: 2 });
    return net.input(name, 'f32', s);
  };
  const values: NetworkTensor[] = [input(shape)];
  let v = values[0]!;
  for (let i = 0, n = randomInt(rng, 2, 9); i < n; i++) {
    if (rng() < 0.5) {
      const [op, attrs] = UNARY[randomInt(rng, 0, UNARY.length - 1)]!;
      v = net.addLayer(op, `u${i}`, [v], attrs);
    } else {
      const op = BINARY[randomInt(rng, 0, BINARY.length - 1)]!;
      const s = broadcastable(rng, shape);
      const pick = rng();
      // Divisors stay in [0.5, 2] so a quotient never explodes past the tolerance.
      const c = (len: number, lo: number) => Array.from({ length: len }, () => lo + rng() * (2 - lo));
      const size = s.reduce((a, b) => a * b, 1);
      let other: NetworkTensor;
      if (op === 'Div' || op === 'PRelu' || pick < 0.3) other = net.constant(`c${i}`, c(size, op === 'Div' ? 0.5 : -2), s);
      else if (pick < 0.5) other = net.constant(`s${i}`, c(1, 0.5), [1]);
      else if (pick < 0.8) other = input(s);
      else other = values[randomInt(rng, 0, values.length - 1)]!;
      v = net.addLayer(op, `b${i}`, [v, other], {});
    }
    values.push(v);
  }
  net.markOutput(v, 'y');
  return { net, inputs };
}

function optimizedOps(graph: Network['graph'], optLevel: number): string[] {
  const builder = new Builder(quiet);
  builder.buildSerializedNetwork(graph, builder.createBuilderConfig().setOptLevel(optLevel));
  return builder.lastBuild!.optimized.nodes.map((n) => n.op);
}

describe('native pointwise kernel', () => {
  it('runs random fused chains as the interpreter does', async () => {
    let fused = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const { net, inputs } = randomChain(seed);
      const expected = interpret(net.graph, inputs);
      const actual = await runPlan(buildPlan(net.graph, 3), inputs);
      expectClose(actual.y!, expected.y!, `chain seed ${seed}`, 1e-4, 1e-5);
      if (optimizedOps(net.graph, 3).includes('Pointwise')) fused++;
    }
    // Most chains fuse; those that read an earlier value twice may split into lone layers.
    expect(fused).toBeGreaterThan(40);
  });

  it('fuses a long chain over a per-channel bias into one layer, bit for bit', async () => {
    const net = new Network();
    const x = net.input('x', 'f32', [2, 16, 33, 35]);
    const bias = net.constant('bias', Array.from({ length: 16 }, (_, i) => i / 8 - 1), [16, 1, 1]);
    net.markOutput(x.mul(1.5).add(bias).relu().sub(0.25).mul(x).tanh(), 'y');
    expect(optimizedOps(net.graph, 3)).toEqual(['Pointwise']);
    const inputs = { x: randomTensor('f32', [2, 16, 33, 35], mulberry32(7)) };
    const unfused = await runPlan(buildPlan(net.graph, 0), inputs);
    const fused = await runPlan(buildPlan(net.graph, 3), inputs);
    expectClose(fused.y!, unfused.y!, 'fused vs unfused', 0, 0);
  });

  it('refuses a program in f16, naming the layer', () => {
    const net = new Network();
    net.markOutput(net.input('x', 'f16', [4]).relu('r').sigmoid('s'), 'y');
    expect(() => buildPlan(net.graph, 3)).toThrow(/layer 'r \+ s'.*kernel pointwise supports f32 only; input 0 is 'x' f16\[4\]/);
  });
});

describe('engine equals interpreter on random networks (FusePointwise included)', () => {
  it('at optimization level 5', async () => {
    await fc.assert(
      fc.asyncProperty(networkArbitrary({ minLayers: 2, maxLayers: 30 }), async (net) => {
        const expected = interpret(net.graph, net.inputs);
        const actual = await runPlan(buildPlan(net.graph, 5), net.inputs);
        const diff = compareOutputs(expected, actual, { rtol: 1e-4, atol: 1e-5 });
        if (diff) throw new Error(`engine differs from the interpreter: ${diff}`);
      }),
      { numRuns: Number(process.env.KILN_PROPERTY_RUNS ?? 80) },
    );
  });
});
