// The bf16 rows of `npm run bench` (called from run.ts; also `tsx test/bench/lowp-bench.ts`):
//  - models: fp32 against bf16 obeyed (every conv / fc in bf16) and bf16 as the builder
//    prefers it (16 bits only where timed faster), interleaved in one process, with
//    the agreement with fp32 (precision-report.ts does the building and timing);
//  - fully connected layers at batch 1, where the weights are streamed once per run:
//    the f32 gemv tactic against gemvBf16 (half the weight bytes), best of runs.
// On this machine's AVX2 there is no bf16 arithmetic: 16-bit layers widen to f32, so
// whole models gain only where a layer is bound by weight bandwidth. Writes
// out/bench-lowp.json. KILN_BENCH_ONLY applies to the model rows as in run.ts.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuTactics } from '../../codegen/cpu/tactics.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { applyTactic } from '../../src/builder/autotune.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { mulberry32, writeFloats } from '../../src/interpret/index.js';
import { native } from '../../src/runtime/native.js';
import { lower } from '../lowp/harness.js';
import { benchModels } from './cases.js';
import { reportModel, type ReportRow } from './precision-report.js';

/** A fully connected layer [1, k] x [n, k]^T in `dtype`, lowered and set to `tactic`. */
function fcPlan(k: number, n: number, dtype: 'f32' | 'bf16' | 'f16', tactic: string) {
  const rng = mulberry32(k * 31 + n);
  const d = new GraphDraft();
  const x = d.input('x', { dtype, shape: [1, k] });
  const w = d.constant('w', dtype, [n, k], writeFloats(dtype, Array.from({ length: n * k }, () => rng() - 0.5)));
  d.outputs.push(d.node('MatMul', 'fc', [x, w], { transB: true }));
  const plan = lower(d.graph());
  const t = cpuTactics(plan.layers[0]!, plan.tensors).find((c) => c.name === tactic);
  if (!t) throw new Error(`fc ${k}x${n} ${dtype}: no tactic ${tactic}`);
  applyTactic(plan.layers[0]!, t);
  return plan;
}

export interface GemvRow {
  k: number;
  n: number;
  f32Ms: number;
  bf16Ms: number;
  f16Ms: number;
  /** f32 / bf16 time. */
  speedup: number;
}

/** f32 gemv against the 16-bit weight-streaming gemv, alternating, best of 5 rounds. */
export function benchGemv(threads: number): GemvRow[] {
  const rows: GemvRow[] = [];
  const opts = { warmup: 3, minIterations: 20, maxIterations: 2000, budgetMs: 150, threads };
  for (const [k, n] of [[512, 1000], [800, 500], [2048, 1000], [4096, 4096]] as const) {
    const plans = [fcPlan(k, n, 'f32', 'gemv'), fcPlan(k, n, 'bf16', 'gemv-stream-bf16'), fcPlan(k, n, 'f16', 'gemv-stream-f16')];
    const best = [Infinity, Infinity, Infinity];
    for (let round = 0; round < 5; round++) plans.forEach((p, i) => (best[i] = Math.min(best[i]!, native().timeLayers(p, opts).minMs[0]!)));
    rows.push({ k, n, f32Ms: best[0]!, bf16Ms: best[1]!, f16Ms: best[2]!, speedup: best[0]! / best[1]! });
  }
  return rows;
}

export async function benchLowp(root: string, threads: number): Promise<{ models: ReportRow[]; gemv: GemvRow[] }> {
  const only = process.env.KILN_BENCH_ONLY?.split(',').filter(Boolean);
  const cache = new TimingCache();
  const models: ReportRow[] = [];
  console.log(`\nbf16 (AVX2: 16-bit storage, f32 arithmetic): engine time vs fp32, interleaved medians; agreement with fp32`);
  for (const [name, batch] of [['lenet', 1], ['resnet18', 1], ['resnet18', 8], ['mobilenet_v2', 8]] as const) {
    const model = benchModels(root).find((m) => m.name === name)!;
    if (!existsSync(model.file) || (only && !only.some((o) => `${name} batch ${batch}`.startsWith(o)))) continue;
    for (const r of await reportModel(model, batch, ['bf16', 'bf16 pref'], threads, cache)) {
      models.push(r);
      console.log(`  ${`${name} batch ${batch}`.padEnd(22)} ${r.variant.padEnd(10)} ${r.ms.toFixed(3).padStart(9)} ms  fp32/bf16 ${r.speedup.toFixed(2)}  cosine ${r.cosine.toFixed(6)}  max rel err ${r.maxRelErr.toExponential(1)}`);
    }
  }
  const gemv = benchGemv(threads);
  console.log(`fully connected, batch 1 (weights streamed once): f32 gemv vs 16-bit weights (gemvBf16), best of runs`);
  for (const g of gemv) console.log(`  ${`K=${g.k} N=${g.n}`.padEnd(22)} f32 ${g.f32Ms.toFixed(4)} ms  bf16 ${g.bf16Ms.toFixed(4)} ms  fp16 ${g.f16Ms.toFixed(4)} ms  f32/bf16 ${g.speedup.toFixed(2)}`);
  const out = join(root, 'out', 'bench-lowp.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ cpu: cpus()[0]?.model, threads, models, gemv }, null, 2));
  return { models, gemv };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchLowp(join(dirname(fileURLToPath(import.meta.url)), '..', '..'), Number(process.env.KILN_BENCH_THREADS ?? cpus().length)).catch((e: unknown) => {
    console.error(`lowp bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  });
}
