// Shared by the engine suites: build a network into a plan, load it in a fresh
// Runtime, run it, and compare with the reference interpreter.
import { expect } from 'vitest';
import { Builder, Logger, Runtime, type Network } from '../../src/index.js';
import { interpret, randomTensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';

export const quiet = new Logger('error');

export function buildPlan(net: Network | Graph, optLevel = 3): Uint8Array {
  const builder = new Builder(quiet);
  const config = builder.createBuilderConfig().setOptLevel(optLevel);
  return builder.buildSerializedNetwork(net, config);
}

export async function runPlan(plan: Uint8Array, inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const engine = new Runtime(quiet).deserializeEngine(plan);
  const ctx = engine.createExecutionContext();
  const out = await ctx.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, { data: t.data, shape: t.shape }])));
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]));
}

/** Asserts every element is within atol + rtol*|expected|; the message names the output and index. */
export function expectClose(actual: Tensor, expected: Tensor, what: string, rtol = 1e-4, atol = 1e-5): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  expect(actual.dtype, `${what}: dtype`).toBe(expected.dtype);
  const a = actual.data as Float32Array;
  const e = expected.data as Float32Array;
  expect(a.length, `${what}: length`).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    const ok = Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!) || (Number.isNaN(a[i]!) && Number.isNaN(e[i]!));
    if (!ok) expect.fail(`${what}: element ${i} is ${a[i]}, the interpreter gives ${e[i]} (rtol ${rtol}, atol ${atol})`);
  }
}

/**
 * Builds at the given level, runs engine and interpreter on the same inputs, compares every
 * output. The absolute tolerance scales with the output's largest magnitude (1e-5 of it, at
 * least 1e-5): an element that cancels to near zero carries the rounding of the sums that
 * made it, and the autotuner may pick a Winograd tactic, whose transforms round more.
 */
export async function checkAgainstInterpreter(net: Network, inputs: Record<string, Tensor>, what: string, optLevel = 3, rtol = 1e-4): Promise<void> {
  const graph = net.graph;
  const expected = interpret(graph, inputs);
  const actual = await runPlan(buildPlan(graph, optLevel), inputs);
  for (const name of graph.outputs) {
    const e = expected[name]!;
    let scale = 1;
    if (e.dtype === 'f32') for (const v of e.data as Float32Array) scale = Math.max(scale, Math.abs(v));
    expectClose(actual[name]!, e, `${what}: output '${name}'`, rtol, 1e-5 * scale);
  }
}

export function randomInputs(net: Network, rng: Rng, range?: { min?: number; max?: number }): Record<string, Tensor> {
  const g = net.graph;
  return Object.fromEntries(g.inputs.map((name) => {
    const t = g.types[name]!;
    return [name, randomTensor(t.dtype, t.shape as number[], rng, range)];
  }));
}
