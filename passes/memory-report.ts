// The memory report: how good a memory plan is, in the three numbers that matter.
// The arena is what the engine allocates; the lower bound is the most bytes alive at
// any one step (no placement can do better with the same in-place pairs); no-reuse
// is what giving every value its own slot would cost. A planner is doing its job when
// arena / lower bound stays near 1 (kiln aims at <= 1.05) and no-reuse / arena is large.
import type { Graph } from '../src/ir/index.js';
import { planMemory, staticSizeOf, type MemoryPlan, type PlanOptions } from './plan-memory.js';

export interface MemoryReport {
  arenaBytes: number;
  lowerBound: number;
  noReuseBytes: number;
  /** arena / lower bound; 1 is optimal. */
  arenaOverBound: number;
  /** no-reuse / arena: how much reuse saves. */
  noReuseOverArena: number;
  /** Planned values (inputs, outputs, layer outputs) and how many share a buffer in place. */
  values: number;
  inPlace: number;
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

export function summarizePlan(plan: MemoryPlan): MemoryReport {
  return {
    arenaBytes: plan.arenaBytes,
    lowerBound: plan.lowerBound,
    noReuseBytes: plan.noReuseBytes,
    arenaOverBound: ratio(plan.arenaBytes, plan.lowerBound),
    noReuseOverArena: ratio(plan.noReuseBytes, plan.arenaBytes),
    values: plan.intervals.size,
    inPlace: plan.aliasOf.size,
  };
}

/** Plans `graph` (static shapes, in place by default, as lowering does) and reports on the plan. */
export function memoryReport(graph: Graph, options: Partial<PlanOptions> = {}): MemoryReport {
  return summarizePlan(planMemory(graph, { sizeOf: staticSizeOf, inPlace: true, ...options }));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** One line: `arena 1.19 MiB = 1.00x lower bound 1.19 MiB; no reuse 4.20 MiB (3.53x arena); 12 of 40 values in place`. */
export function formatMemoryReport(r: MemoryReport): string {
  return `arena ${formatBytes(r.arenaBytes)} = ${r.arenaOverBound.toFixed(2)}x lower bound ${formatBytes(r.lowerBound)}; `
    + `no reuse ${formatBytes(r.noReuseBytes)} (${r.noReuseOverArena.toFixed(2)}x arena); ${r.inPlace} of ${r.values} values in place`;
}
