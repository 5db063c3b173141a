// Random small well-typed networks for property tests (to become `kiln/testing`).
// fast-check draws a plain-data spec (input shapes + a list of steps of small
// integers); `buildRandomNetwork` turns a spec into a DSL network deterministically,
// so fast-check shrinks the spec and a shrunk failure can be replayed as a named
// regression test from the JSON it prints. A step that does not fit the tensor it
// picked (a conv on a matrix) becomes a Relu, so every spec builds.
import fc from 'fast-check';
import { Network, type NetworkTensor } from '../../dsl/index.js';
import { edit, printGraph, type Graph } from '../../src/ir/index.js';
import { mulberry32, randomTensor, readFloats, writeFloats, type Tensor } from '../../src/interpret/index.js';
import { PATTERN_BUILDERS, STEP_COST } from './patterns.js';
import { CORE_BUILDERS, one, type OpBuilder, type Step as StepOf } from './steps.js';

/** Single DSL ops. */
export const CORE_OPS = [
  'relu', 'conv', 'maxPool', 'avgPool', 'fullyConnected', 'sigmoid', 'tanh', 'leakyRelu', 'clip', 'gelu', 'silu',
  'add', 'mul', 'softmax', 'reshape', 'transpose', 'concat',
] as const;
/** Subgraphs that optimization passes rewrite, and near misses they must leave alone. */
export const PATTERN_OPS = ['scale', 'affine', 'identity', 'transposePair', 'reshapeChain', 'silu2', 'constExpr', 'convThenScale', 'scaleThenConv', 'siblings', 'residual', 'geluTanh', 'padConv', 'layerNorm'] as const;
/** The default mix: every core op and every pattern built from core ops. */
export const ARB_OPS = [...CORE_OPS, ...PATTERN_OPS] as const;
/** Patterns that need ops beyond the DSL's (GELU's Erf): opt in where the backend has them. */
export const EXTRA_OPS = ['geluErf'] as const;
export type ArbOp = (typeof ARB_OPS)[number] | (typeof EXTRA_OPS)[number];

const BUILDERS: Record<ArbOp, OpBuilder> = { ...CORE_BUILDERS, ...PATTERN_BUILDERS };

export type FloatDType = 'f32' | 'f16' | 'bf16';

export interface NetworkArbitraryOptions {
  minLayers?: number;
  maxLayers?: number;
  ops?: readonly ArbOp[];
  /** Largest element count of any tensor, to keep the interpreter fast. */
  maxVolume?: number;
  /** Element types to draw networks in (default f32 only); f16/bf16 networks round every constant. */
  dtypes?: readonly FloatDType[];
  /** Input shapes to draw from (default: [1-2,1-3,3-6,3-6] images and [1-3,1-8] matrices). */
  inputShapes?: fc.Arbitrary<number[]>;
}

export type Step = StepOf & { op: ArbOp };

export interface NetworkSpec {
  inputs: readonly (readonly number[])[];
  steps: readonly Step[];
  /** Absent means f32. */
  dtype?: FloatDType;
}

export interface RandomNetwork {
  spec: NetworkSpec;
  graph: Graph;
  /** Deterministic input data for every network input. */
  inputs: Record<string, Tensor>;
  [fc.toStringMethod](): string;
}

/** Builds the network a spec describes; deterministic, so a printed spec replays a failure. */
export function buildRandomNetwork(spec: NetworkSpec, options: NetworkArbitraryOptions = {}): RandomNetwork {
  const maxLayers = options.maxLayers ?? 30;
  const maxVolume = options.maxVolume ?? 512;
  const net = new Network({ name: 'random' });
  const made: NetworkTensor[] = spec.inputs.map((shape, i) => net.input(`in${i}`, 'f32', shape));
  const outputs = new Set<string>();
  let layers = 0;
  for (const step of spec.steps) {
    if (layers >= maxLayers) break;
    // Half the steps extend the latest tensor, so chains (conv -> relu) are common, as in real networks.
    const x = made[step.a % 2 === 0 ? made.length - 1 : step.a % made.length]!;
    // A step that might pass the layer budget degrades to one Relu.
    const built = (layers + (STEP_COST[step.op] ?? 1) <= maxLayers ? BUILDERS[step.op](x, step, made, net, maxVolume) : undefined) ?? one(x.relu());
    layers += built.layers;
    made.push(built.t);
    if (step.output) outputs.add(built.t.name);
  }
  outputs.add(made[made.length - 1]!.name);
  for (const t of made) if (outputs.has(t.name)) net.markOutput(t);
  const dtype = spec.dtype ?? 'f32';
  const graph = castGraph(net.graph, dtype);
  const inputs: Record<string, Tensor> = {};
  spec.inputs.forEach((shape, i) => {
    inputs[`in${i}`] = randomTensor(dtype, shape, mulberry32(7919 * (i + 1)));
  });
  return {
    spec,
    graph,
    inputs,
    [fc.toStringMethod]: () => `\n${printGraph(graph)}\nspec: ${JSON.stringify(spec)}`,
  };
}

/** The same network in another float type: every f32 value retyped, every f32 constant rounded. */
export function castGraph(graph: Graph, dtype: FloatDType): Graph {
  if (dtype === 'f32') return graph;
  return edit(graph, (g) => {
    for (const t of Object.values(g.types)) if (t.dtype === 'f32') t.dtype = dtype;
    for (const c of Object.values(g.constants)) {
      if (c.type.dtype !== 'f32') continue;
      const data = writeFloats(dtype, readFloats({ dtype: 'f32', shape: [c.data.length], data: c.data as Float32Array }));
      Object.assign(c, { type: { dtype, shape: c.type.shape }, data });
    }
  });
}

const inputShape = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 3, max: 6 }), fc.integer({ min: 3, max: 6 })),
  fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 8 })),
);

/** Specs with `minLayers`..`maxLayers` steps (each step adds one to five layers). */
export function networkSpecArbitrary(options: NetworkArbitraryOptions = {}): fc.Arbitrary<NetworkSpec> {
  const ops = options.ops ?? ARB_OPS;
  const nat = fc.nat({ max: 1000 });
  const step: fc.Arbitrary<Step> = fc.record({
    op: fc.constantFrom(...ops),
    a: nat,
    b: nat,
    p: fc.tuple(nat, nat, nat, nat),
    seed: fc.nat(),
    output: fc.nat({ max: 3 }).map((v) => v === 3),
  });
  const base = {
    inputs: fc.array(options.inputShapes ?? inputShape, { minLength: 1, maxLength: 2 }),
    steps: fc.array(step, { minLength: options.minLayers ?? 2, maxLength: options.maxLayers ?? 30, size: 'medium' }),
  };
  const dtypes = options.dtypes ?? ['f32'];
  // An f32-only spec carries no dtype, so specs printed before dtypes existed still replay.
  if (dtypes.length === 1 && dtypes[0] === 'f32') return fc.record(base);
  return fc.record({ ...base, dtype: fc.constantFrom(...dtypes) });
}

export function networkArbitrary(options: NetworkArbitraryOptions = {}): fc.Arbitrary<RandomNetwork> {
  return networkSpecArbitrary(options).map((spec) => buildRandomNetwork(spec, options));
}
