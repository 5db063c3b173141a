// Where a run's time goes outside its layers, at batch 1 beside onnxruntime-node.
// Rounds of [ORT, kiln on a libuv worker (KILN_RUN_INLINE_US=0), ORT, kiln in
// slices on the JS thread (KILN_RUN_INLINE_US=1000)], so load hits every column alike; per
// model the medians, the ORT/kiln ratios of both kiln paths, and the profile's
// summed layer times (layers back to back, no hand-offs) as the floor.
//   npx tsx test/bench/run-overhead.ts [squeezenet1_1,mobilenet_v2] [threads]
// Plans are cached in /tmp/kiln-overhead-*.plan (delete them after a kernel change).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Logger, Runtime, type Engine } from '../../src/index.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { benchModels, buildModel } from './cases.js';

const root = join(import.meta.dirname, '..', '..');
const only = (process.argv[2] ?? 'squeezenet1_1,mobilenet_v2').split(',');
const threads = Number(process.argv[3] ?? 2);
const budgetMs = Number(process.env.KILN_OVERHEAD_MS ?? 6000);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const f = (x: number) => x.toFixed(3);

/** The cached plan when this runtime still reads it, else a fresh build (saved). */
function loadOrBuild(planFile: string, build: () => Uint8Array): Engine {
  const runtime = new Runtime(new Logger('error'));
  if (existsSync(planFile)) {
    try {
      return runtime.deserializeEngine(readFileSync(planFile));
    } catch { /* an older plan format: rebuild */ }
  }
  const plan = build();
  writeFileSync(planFile, plan);
  return runtime.deserializeEngine(plan);
}

/** Runs kiln with KILN_RUN_INLINE_US set to `slice` (undefined: the default). */
async function withSlice<T>(slice: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.KILN_RUN_INLINE_US;
  if (slice === undefined) delete process.env.KILN_RUN_INLINE_US;
  else process.env.KILN_RUN_INLINE_US = slice;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.KILN_RUN_INLINE_US;
    else process.env.KILN_RUN_INLINE_US = saved;
  }
}

async function model(name: string): Promise<void> {
  const m = benchModels(root).find((x) => x.name === name);
  if (!m || !existsSync(m.file)) throw new Error(`no model ${name}`);
  const engine = loadOrBuild(`/tmp/kiln-overhead-${name}-t${threads}.plan`, () => buildModel(m, 1, threads, new TimingCache()).plan);
  const ctx = engine.createExecutionContext({ threads });
  const input = engine.inputs[0]!;
  const data = Float32Array.from({ length: input.shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
  const feed = { [input.name]: { data, shape: input.shape } };
  const session = await ort.InferenceSession.create(m.file, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const ortFeed = { [session.inputNames[0]!]: new ort.Tensor('float32', data, input.shape) };
  const paths: [string, string | undefined][] = [['worker', '0'], ['slices', '1000']];
  const t = { ort: [[], []] as number[][], kiln: [[], []] as number[][] };
  const end = performance.now() + budgetMs;
  for (let round = 0; round < 5 || (performance.now() < end && round < 2000); round++) {
    for (const [p, [, slice]] of paths.entries()) {
      let s = performance.now();
      await session.run(ortFeed);
      const o = performance.now() - s;
      s = performance.now();
      await withSlice(slice, () => ctx.run(feed));
      const k = performance.now() - s;
      if (round >= 5) { t.ort[p]!.push(o); t.kiln[p]!.push(k); }
    }
  }
  const layers = (await ctx.profile(feed, { iterations: 50 })).totalMs;
  const cols = paths.map(([label], p) => {
    const k = median(t.kiln[p]!), o = median(t.ort[p]!);
    return `${label}: kiln ${f(k)} (+${f(k - layers)} over layers) ort ${f(o)} ratio ${(o / k).toFixed(3)}`;
  });
  console.log(`${name} t${threads} (${t.kiln[0]!.length} rounds), layers ${f(layers)} ms | ${cols.join(' | ')}`);
}

for (const name of only) await model(name);
