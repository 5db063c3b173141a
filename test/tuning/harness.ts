// Test harness for CPU tactics: lowers a DSL network the way the builder does
// (pass pipeline, then lowering), and for every layer with a choice runs each
// of its tactics (codegen/cpu/tactics.ts) natively, on one thread and on two,
// against the reference interpreter's outputs.
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { lowerToPlan, type PlanDesc } from '../../codegen/index.js';
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import { Network } from '../../dsl/index.js';
import { buildPipeline, runPipeline } from '../../passes/index.js';
import { hasCpuKernel } from '../../codegen/index.js';
import { applyTactic } from '../../src/builder/autotune.js';
import { interpret, mulberry32, randomTensor, type Tensor } from '../../src/interpret/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const kiln: any = createRequire(import.meta.url)('../../build/Release/kiln.node');

/** The plan the builder would lower at `optLevel` (before tactic selection); `stridedViews` as a CPU build. */
export function lowerNetwork(network: Network, optLevel = 3, stridedViews = false): PlanDesc {
  const { graph } = runPipeline(network.graph, buildPipeline({ optLevel, supports: hasCpuKernel }));
  return lowerToPlan(graph, { kilnVersion: '0.0.0-test', buildDigest: new Uint8Array(32), stridedViews }).plan;
}

export function randomInputs(network: Network, seed: number): Record<string, Tensor> {
  const rng = mulberry32(seed);
  const g = network.graph;
  return Object.fromEntries(g.inputs.map((name) => [name, randomTensor('f32', g.types[name]!.shape as number[], rng, { min: -1, max: 1 })]));
}

async function runDesc(desc: PlanDesc, inputs: Record<string, Tensor>, threads: number): Promise<Record<string, Float32Array>> {
  const engine = new kiln.Engine(kiln.serializePlan(desc));
  const ctx = new kiln.Context(engine, threads);
  const outs = await ctx.run(Object.entries(inputs).map(([name, t]) => ({ name, data: t.data, shape: t.shape })));
  return Object.fromEntries(outs.map((o: { name: string; data: Float32Array }) => [o.name, o.data]));
}

function close(actual: Float32Array, expected: ArrayLike<number>, tol: number, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!, a = actual[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`${label}: element ${i}: got ${a}, expected ${e}`);
  }
}

/**
 * Runs every tactic of every tunable layer (one layer switched at a time) and compares
 * all outputs with the interpreter. Returns the tactic names exercised.
 */
export async function checkTactics(network: Network, label: string, seed = 1, tol = 1e-4, plan = lowerNetwork(network)): Promise<string[]> {
  const inputs = randomInputs(network, seed);
  const expected = interpret(network.graph, inputs);
  const seen: string[] = [];
  for (let i = 0; i < plan.layers.length; i++) {
    const candidates = cpuTactics(plan.layers[i]!, plan.tensors);
    if (candidates.length < 2) continue;
    for (const tactic of candidates) {
      const desc = { ...plan, layers: plan.layers.map((l) => ({ ...l })) };
      applyTactic(desc.layers[i]!, tactic);
      for (const threads of [1, 2]) {
        const out = await runDesc(desc, inputs, threads);
        for (const [name, t] of Object.entries(expected)) {
          close(out[name]!, t.data as Float32Array, tol, `${label}: layer '${plan.layers[i]!.name}' tactic ${tactic.name}, ${threads} threads, output '${name}'`);
        }
      }
      seen.push(tactic.name);
    }
  }
  return seen;
}

/** Deterministic uniform integers and floats for shape generation. */
export function shapeRng(seed: number) {
  const r = mulberry32(seed);
  return {
    int: (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!,
    floats: (n: number) => Float32Array.from({ length: n }, () => r() * 2 - 1),
    chance: (p: number) => r() < p,
  };
}

/**
 * The Winograd tactics' random trial: a 3x3 conv with c -> co channels on an h x w plane
 * (batch 1-3, pads 0-2 a side, a bias 70% of the time, then no activation, relu, clip
 * or sigmoid), each of its tactics checked against the interpreter; the tactics run.
 */
export async function random3x3Trial(R: ReturnType<typeof shapeRng>, c: number, co: number, h: number, w: number, label: string, seed: number, tol: number): Promise<string[]> {
  const pads = [R.int(0, 2), R.int(0, 2), R.int(0, 2), R.int(0, 2)];
  const net = new Network();
  const x = net.input('x', 'f32', [R.int(1, 3), c, h, w]);
  let y = x.conv({ outChannels: co, kernel: [3, 3], weights: R.floats(co * c * 9), bias: R.chance(0.7) ? R.floats(co) : undefined, padsBegin: [pads[0]!, pads[1]!], padsEnd: [pads[2]!, pads[3]!] });
  const act = R.pick(['none', 'relu', 'clip', 'sigmoid']);
  if (act === 'relu') y = y.relu();
  if (act === 'clip') y = y.clip(-0.25, 0.5);
  if (act === 'sigmoid') y = y.sigmoid();
  net.markOutput(y, 'y');
  return checkTactics(net, `${label} (c ${c}, co ${co}, ${h}x${w}, pads ${pads})`, seed, tol);
}
