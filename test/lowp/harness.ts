// Shared by the low-precision suites: graphs whose layers compute in bf16 or fp16,
// every tactic of every layer run natively (1 and 2 threads) and compared with the
// interpreter, which computes each layer exactly from its 16-bit inputs and rounds
// once to the output's format: the kernels (f32 accumulation) may differ from it
// by one unit in the last place, or by the f32 sums' own error near zero.
import { createRequire } from 'node:module';
import { expect } from 'vitest';
import { lowerToPlan, type PlanDesc } from '../../codegen/index.js';
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import { applyTactic } from '../../src/builder/autotune.js';
import { interpret, readFloats, type Tensor } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const kiln: any = createRequire(import.meta.url)('../../build/Release/kiln.node');

export function lower(graph: Graph): PlanDesc {
  return lowerToPlan(graph, { kilnVersion: '0.0.0-test', buildDigest: new Uint8Array(32) }).plan;
}

export async function runDesc(desc: PlanDesc, inputs: Record<string, Tensor>, threads: number): Promise<Record<string, Tensor>> {
  const engine = new kiln.Engine(kiln.serializePlan(desc));
  const ctx = new kiln.Context(engine, threads);
  const outs = await ctx.run(Object.entries(inputs).map(([name, t]) => ({ name, data: t.data, shape: t.shape })));
  return Object.fromEntries(outs.map((o: { name: string; data: Uint16Array; shape: number[]; dtype: Tensor['dtype'] }) => [o.name, { dtype: o.dtype, shape: o.shape, data: o.data }]));
}

/** Within one 16-bit code of the interpreter (same sign), or within `atol`. */
export function expectUlp(actual: Tensor, expected: Tensor, label: string, atol = 1e-5): void {
  expect(actual.data.length, label).toBe(expected.data.length);
  const a = readFloats(actual), e = readFloats(expected);
  const bits16 = expected.dtype !== 'f32';
  for (let i = 0; i < e.length; i++) {
    const codes = bits16 && Math.sign(a[i]!) === Math.sign(e[i]!) ? Math.abs((actual.data[i] as number) - (expected.data[i] as number)) : Infinity;
    if (!(codes <= 1 || Math.abs(a[i]! - e[i]!) <= atol || (Number.isNaN(a[i]!) && Number.isNaN(e[i]!)))) {
      throw new Error(`${label}: element ${i}: got ${a[i]}, the interpreter gives ${e[i]} (${expected.dtype})`);
    }
  }
}

/** Runs each tactic of each layer with a choice (others as lowered); returns the tactic names run. */
export async function checkEveryTactic(graph: Graph, inputs: Record<string, Tensor>, label: string, atol = 1e-5): Promise<string[]> {
  const expected = interpret(graph, inputs);
  const plan = lower(graph);
  const seen: string[] = [];
  for (let i = 0; i < plan.layers.length; i++) {
    for (const tactic of cpuTactics(plan.layers[i]!, plan.tensors)) {
      const desc = { ...plan, layers: plan.layers.map((l) => ({ ...l })) };
      applyTactic(desc.layers[i]!, tactic);
      for (const threads of [1, 2]) {
        const out = await runDesc(desc, inputs, threads);
        for (const name of graph.outputs) expectUlp(out[name]!, expected[name]!, `${label}: layer '${plan.layers[i]!.name}' tactic ${tactic.name}, ${threads} threads, '${name}'`, atol);
      }
      seen.push(tactic.name);
    }
  }
  return seen;
}
