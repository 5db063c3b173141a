// ResNet-18's stem pool (MaxPool 3x3 / 2 pad 1 on [8,64,112,112]) on i8 codes
// (poolI8) against the f32 pool2d tactic on the same shape; also poolI8 followed by
// the DequantizeLinear that gives its f32 readers their input (the chain an int8
// stem's Quantize rewrite makes). Each is a one-layer (or two-layer) plan, timed in
// alternating rounds (native timeLayers) so a busy moment on this shared host hits
// every one. Prints medians and pool2d / candidate (> 1: the candidate is faster).
// `npx tsx test/bench/pool-i8-bench.ts [rounds]`; KILN_BENCH_THREADS sets the threads (2).
// Nothing here asserts a speed.
import { lowerToPlan, type PlanDesc } from '../../codegen/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import type { DType } from '../../src/ir/index.js';
import { native } from '../../src/runtime/native.js';

const SHAPE = [8, 64, 112, 112];
const POOL = { mode: 'max', kernel: [3, 3], strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1] };
const rounds = Number(process.argv[2] ?? 9);
const THREADS = Number(process.env.KILN_BENCH_THREADS ?? 2);

/** x (dtype) -> Pool [-> DequantizeLinear], lowered; `kernel` forces the pool layer's kernel. */
function plan(dtype: DType, kernel: string, dequantize = false): PlanDesc {
  const d = new GraphDraft();
  const pooled = d.node('Pool', 'pool', [d.input('x', { dtype, shape: SHAPE })], POOL);
  d.outputs.push(dequantize ? d.node('DequantizeLinear', 'dq', [pooled, d.constant('s', 'f32', [1], Float32Array.of(0.05))], {}) : pooled);
  const p = lowerToPlan(d.graph(), { kilnVersion: '0.0.0-bench', buildDigest: new Uint8Array(32) }).plan;
  p.layers.find((l) => l.name === 'pool')!.kernel = kernel;
  return p;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Per-layer medians of one timing run. */
const time = (p: PlanDesc): number[] => native().timeLayers(p, { warmup: 2, minIterations: 10, maxIterations: 200, budgetMs: 200, threads: THREADS }).medianMs;

const plans: [string, PlanDesc][] = [
  ['f32 pool2d', plan('f32', 'pool2d')],
  ['i8 poolI8', plan('i8', 'poolI8')],
  ['i8 poolI8 + dequantize', plan('i8', 'poolI8', true)],
];
const totals = plans.map(() => [] as number[]);
const pools = plans.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  plans.forEach(([, p], i) => {
    const t = time(p);
    totals[i]!.push(t.reduce((a, b) => a + b, 0));
    pools[i]!.push(t[p.layers.findIndex((l) => l.name === 'pool')]!);
  });
}
console.log(`MaxPool 3x3 / 2 pad 1 on [${SHAPE}], ${THREADS} thread(s), ${rounds} alternating rounds: median ms, pool2d / this (> 1: faster)`);
const base = median(totals[0]!);
plans.forEach(([name], i) => {
  const t = median(totals[i]!);
  console.log(`${name.padEnd(24)} ${t.toFixed(3)} ms (pool layer ${median(pools[i]!).toFixed(3)})  ${(base / t).toFixed(2)}x`);
});
