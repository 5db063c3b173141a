// Dynamic shapes, measured: the encoder built once for batch 1-8 and seq 16-256
// (opt batch 1, seq 128) runs at seq 16, 64, 128 and 256 (batch 1) against
// onnxruntime-node on the same file, and against an engine built for exactly that
// static shape (at opt, the "within 10%"; elsewhere it shows what tuning at
// opt costs). Interleaved in one process, same thread count, medians
// (cases.ts `interleaved`); ratios printed, nothing asserted. Prints a table, writes
// out/bench-dynamic.json. Run alone: `npx tsx test/bench/dynamic-bench.ts`.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Builder, Logger, Runtime, type ExecutionContext } from '../../src/index.js';
import type { Graph } from '../../src/ir/index.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { mulberry32 } from '../../src/interpret/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { interleaved } from './cases.js';

export interface DynamicBenchRow {
  name: string;
  kilnMs: number;
  /** The other side: onnxruntime, or the static engine. */
  otherMs: number;
  /** other / kiln: > 1 means the dynamic engine is faster. */
  ratio: number;
}

const SEQS = [16, 64, 128, 256];
const OPT = [1, 128];

function engineContext(graph: Graph, shapes: [number[], number[], number[]], threads: number, cache: TimingCache): ExecutionContext {
  const builder = new Builder(new Logger('error'));
  const config = builder.createBuilderConfig().setTimingCache(cache);
  config.tuningThreads = threads;
  config.addOptimizationProfile(builder.createOptimizationProfile().setDimensions(graph.inputs[0]!, ...shapes));
  return new Runtime(new Logger('error')).deserializeEngine(builder.buildSerializedNetwork(graph, config)).createExecutionContext({ threads });
}

function tokens(batch: number, seq: number, seed: number): BigInt64Array {
  const rng = mulberry32(seed);
  return BigInt64Array.from({ length: batch * seq }, () => BigInt(Math.floor(rng() * 1000)));
}

/** The rows, or undefined when the encoder is not in ../shared/models. */
export async function benchDynamic(root: string, threads: number): Promise<DynamicBenchRow[] | undefined> {
  const file = join(root, '..', 'shared', 'models', 'encoder.onnx');
  if (!existsSync(file)) {
    console.log(`\ndynamic shapes: skipped, ${file} is absent`);
    return undefined;
  }
  const { graph } = importOnnx(file);
  const cache = new TimingCache();
  const dynamic = engineContext(graph, [[1, 16], OPT, [8, 256]], threads, cache);
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: process.env.KILN_BENCH_ORT_SPIN === '1' ? '1' : '0' } } },
  });
  const rows: DynamicBenchRow[] = [];
  console.log(`\ndynamic shapes: encoder built once for batch 1-8, seq 16-256 (opt [${OPT}]), ${threads} threads`);
  for (const seq of SEQS) {
    const data = tokens(1, seq, seq);
    const feed = { input: { data, shape: [1, seq] } };
    const ortFeed = { input: new ort.Tensor('int64', data, [1, seq]) };
    const [k, o] = await interleaved(() => dynamic.run(feed), () => session.run(ortFeed));
    rows.push({ name: `encoder dynamic vs ort, batch 1 seq ${seq}`, kilnMs: k, otherMs: o, ratio: o / k });
    const fixed = engineContext(graph, [[1, seq], [1, seq], [1, seq]], threads, cache);
    const [kd, ks] = await interleaved(() => dynamic.run(feed), () => fixed.run(feed));
    rows.push({ name: `encoder dynamic vs static, batch 1 seq ${seq}${seq === OPT[1] ? ' (opt)' : ''}`, kilnMs: kd, otherMs: ks, ratio: ks / kd });
  }
  // A binding not in the engine's cache prepares every layer (prepacking constants) once.
  const fresh: number[] = [];
  const again: number[] = [];
  for (let seq = 17; seq < 17 + 3 * 10; seq += 3) {
    const feed = { input: { data: tokens(1, seq, seq), shape: [1, seq] } };
    let t = performance.now();
    await dynamic.run(feed);
    fresh.push(performance.now() - t);
    t = performance.now();
    await dynamic.run(feed);
    again.push(performance.now() - t);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  rows.push({ name: 'encoder first run at a new seq vs cached', kilnMs: median(fresh), otherMs: median(again), ratio: median(again) / median(fresh) });
  await session.release();
  for (const r of rows) console.log(`  ${r.name.padEnd(48)} kiln ${r.kilnMs.toFixed(3).padStart(9)} ms  other ${r.otherMs.toFixed(3).padStart(9)} ms  other/kiln ${r.ratio.toFixed(2)}`);
  const out = join(root, 'out', 'bench-dynamic.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ threads, rows }, null, 2));
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  benchDynamic(root, Number(process.env.KILN_BENCH_THREADS ?? cpus().length)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
