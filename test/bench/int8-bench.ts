// INT8 rows of `npm run bench`: ResNet-18 and MobileNetV2 (batch 1 and 8) and
// LeNet, each run four ways in one process, interleaved: kiln fp32, kiln int8
// (calibrated by min-max on seeded random inputs of the bench's distribution,
// uniform [-1, 1]; scales cached in out/int8-bench/), kiln on a QDQ model of it
// built with kiln's own scales and weight codes (qdq-model.ts; FoldQdq folds it),
// onnxruntime-node fp32 on the original model, and onnxruntime-node on the QDQ model,
// so both runtimes quantize alike. Five engines, one interleaved loop.
// Agreement: cosine and max relative error of kiln int8 against kiln fp32, and the
// cosine of ORT's QDQ run against ORT fp32. On mobilenet_v2's QDQ model ORT's
// 'extended' graph optimizations change the result (cosine 0.465 against fp32, where
// ORT at 'basic', kiln's engine and kiln's interpreter all give 0.998), so that row's
// ORT QDQ time is of a computation that has gone wrong (onnxruntime-node 1.23).
// `npx tsx test/bench/int8-bench.ts` runs it alone; KILN_BENCH_ONLY filters by name.
// Nothing here asserts a speed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { ArrayCalibrator, Builder, Logger, Runtime } from '../../src/index.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { calibrate } from '../../src/builder/calibrator.js';
import { mulberry32, type Tensor } from '../../src/interpret/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { writeQdqModel } from './qdq-model.js';
import { INT8_LAYER_OPS } from '../../passes/quantize.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface Int8BenchRow {
  name: string;
  fp32Ms: number;
  int8Ms: number;
  /** kiln on the QDQ model (FoldQdq turns it into int8 layers). */
  kilnQdqMs: number;
  kilnQdqLayers: number;
  ortFp32Ms: number;
  ortQdqMs?: number;
  /** kiln fp32 / kiln int8, ORT fp32 / kiln int8, ORT QDQ / kiln int8: > 1 means kiln int8 is faster. */
  speedup: number;
  vsOrtFp32: number;
  vsOrtQdq?: number;
  cosine: number;
  maxRelErr: number;
  /** max |kiln QDQ - ORT QDQ| / max |ORT QDQ|: the two runtimes on the same quantized model. */
  qdqRelDiff?: number;
  /** Cosine of ORT's QDQ output against ORT's fp32 output. */
  ortQdqCosine?: number;
  int8Layers: number;
}

/** Runs each function in turn, round after round, after a warm-up; medians in ms. */
async function interleave(fns: (() => Promise<unknown>)[], budgetMs: number): Promise<number[]> {
  for (let i = 0; i < 3; i++) for (const f of fns) await f();
  const times = fns.map(() => [] as number[]);
  const end = performance.now() + budgetMs;
  while (times[0]!.length < 8 || (performance.now() < end && times[0]!.length < 500)) {
    for (const [i, f] of fns.entries()) {
      const t = performance.now();
      await f();
      times[i]!.push(performance.now() - t);
    }
  }
  return times.map(median);
}

function agreement(a: Float32Array, ref: Float32Array): { cosine: number; maxRelErr: number } {
  let dot = 0, na = 0, nb = 0, diff = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    dot += a[i]! * ref[i]!; na += a[i]! ** 2; nb += ref[i]! ** 2;
    diff = Math.max(diff, Math.abs(a[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return { cosine: dot / Math.sqrt(na * nb), maxRelErr: diff / scale };
}

const uniform = (seed: number, n: number) => {
  const rng = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rng() * 2 - 1);
};

interface Case { model: string; file: string; batch: number; calibration: number }

async function runCase(c: Case, threads: number, cache: TimingCache): Promise<Int8BenchRow> {
  const { graph } = importOnnx(c.file, { dims: { batch: c.batch } });
  const input = graph.inputs[0]!;
  const shape = graph.types[input]!.shape as number[];
  const one = [1, ...shape.slice(1)];
  const per = one.reduce((a, b) => a * b, 1);
  const batches: Record<string, Tensor>[] = Array.from({ length: c.calibration }, (_, i) => ({ [input]: { dtype: 'f32', shape: one, data: uniform(1000 + i, per) } }));
  const cacheFile = join(root, 'out', 'int8-bench', `${c.model}.calib`);
  const calibrator = new ArrayCalibrator(batches, 'minmax', { cache: existsSync(cacheFile) ? readFileSync(cacheFile, 'utf8') : null });
  // The batches are single images: without a cache, calibrate on the model at batch 1 (a batch-8 row run alone has no
  // batch-1 row before it to leave one), then every build reads the cache.
  if (!calibrator.cache) calibrate(importOnnx(c.file, { dims: { batch: 1 } }).graph, calibrator);
  const build = (int8: boolean, g = graph) => {
    const builder = new Builder(new Logger('error'));
    const config = builder.createBuilderConfig().setTimingCache(cache);
    config.tuningThreads = threads;
    if (int8) (config.setFlag('int8'), (config.calibrator = calibrator));
    const plan = builder.buildSerializedNetwork(g, config);
    return { plan, layers: builder.lastBuild!.optimized.nodes.filter((n) => INT8_LAYER_OPS.has(n.op)).length };
  };
  const fp32 = build(false);
  const int8 = build(true);
  mkdirSync(dirname(cacheFile), { recursive: true });
  if (calibrator.cache) writeFileSync(cacheFile, calibrator.cache);
  const runtime = new Runtime(new Logger('error'));
  const qdqFile = join(root, 'out', 'int8-bench', `${c.model}.qdq.onnx`);
  writeQdqModel(c.file, calibrator.cache ?? '', qdqFile);
  const kq = build(false, importOnnx(qdqFile, { dims: { batch: c.batch } }).graph);
  const [kf, ki, kqc] = [fp32.plan, int8.plan, kq.plan].map((p) => runtime.deserializeEngine(p).createExecutionContext({ threads }));
  const options: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  const ortFp32 = await ort.InferenceSession.create(c.file, options);
  const ortQdq = await ort.InferenceSession.create(qdqFile, options).catch((e: unknown) => (console.log(`  ORT cannot load the QDQ model: ${String(e).slice(0, 200)}`), undefined));
  const data = uniform(c.batch, shape.reduce((a, b) => a * b, 1));
  const feed = { [input]: data };
  const ortFeed = { [ortFp32.inputNames[0]!]: new ort.Tensor('float32', data, shape) };
  const [yf, yi] = [await kf!.run(feed), await ki!.run(feed)].map((o) => Object.values(o)[0]!.data as Float32Array);
  const { cosine, maxRelErr } = agreement(yi!, yf!);
  const yq = Object.values(await kqc!.run(feed))[0]!.data as Float32Array;
  const yo = ortQdq && (Object.values(await ortQdq.run(ortFeed))[0]!.data as Float32Array);
  const yof = Object.values(await ortFp32.run(ortFeed))[0]!.data as Float32Array;
  const fns = [() => kf!.run(feed), () => ki!.run(feed), () => kqc!.run(feed), () => ortFp32.run(ortFeed), ...(ortQdq ? [() => ortQdq.run(ortFeed)] : [])];
  const [fp32Ms, int8Ms, kilnQdqMs, ortFp32Ms, ortQdqMs] = await interleave(fns, 4000);
  return {
    name: `${c.model} batch ${c.batch}`, fp32Ms: fp32Ms!, int8Ms: int8Ms!, kilnQdqMs: kilnQdqMs!, kilnQdqLayers: kq.layers, ortFp32Ms: ortFp32Ms!, ...(ortQdqMs ? { ortQdqMs } : {}),
    speedup: fp32Ms! / int8Ms!, vsOrtFp32: ortFp32Ms! / int8Ms!, ...(ortQdqMs ? { vsOrtQdq: ortQdqMs / int8Ms! } : {}),
    cosine, maxRelErr, int8Layers: int8.layers, ...(yo ? { qdqRelDiff: agreement(yq, yo).maxRelErr, ortQdqCosine: agreement(yo, yof).cosine } : {}),
  };
}

export async function benchInt8(threads: number, only?: string[]): Promise<Int8BenchRow[]> {
  const shared = join(root, '..', 'shared', 'models');
  const cases: Case[] = [
    { model: 'lenet', file: join(shared, 'lenet.onnx'), batch: 1, calibration: 16 },
    { model: 'resnet18', file: join(root, 'out', 'models', 'resnet18.onnx'), batch: 1, calibration: 2 },
    { model: 'resnet18', file: join(root, 'out', 'models', 'resnet18.onnx'), batch: 8, calibration: 2 },
    { model: 'mobilenet_v2', file: join(shared, 'mobilenet_v2.onnx'), batch: 1, calibration: 2 },
    { model: 'mobilenet_v2', file: join(shared, 'mobilenet_v2.onnx'), batch: 8, calibration: 2 },
  ];
  const f = (v: number | undefined, d = 2) => (v === undefined ? '-' : v.toFixed(d));
  console.log(`\nint8 (${threads} threads): ratios > 1 mean kiln int8 is faster`);
  console.log(`${'case'.padEnd(22)} ${'fp32 ms'.padStart(9)} ${'int8 ms'.padStart(9)} ${'QDQ ms'.padStart(9)} ${'ort ms'.padStart(9)} ${'ortQDQ'.padStart(9)}  int8/fp32  vs ort  vs ortQDQ  cosine   max rel.err  int8 layers (QDQ)  QDQ kiln vs ORT  ORT QDQ cosine`);
  const rows: Int8BenchRow[] = [];
  const cache = new TimingCache();
  for (const c of cases) {
    const name = `int8 ${c.model} batch ${c.batch}`;
    if (only && !only.some((o) => name.startsWith(o) || c.model.startsWith(o))) continue;
    if (!existsSync(c.file)) {
      console.log(`skipped: ${c.file} is absent`);
      continue;
    }
    const r = await runCase(c, threads, cache);
    rows.push(r);
    console.log(`${r.name.padEnd(22)} ${f(r.fp32Ms, 3).padStart(9)} ${f(r.int8Ms, 3).padStart(9)} ${f(r.kilnQdqMs, 3).padStart(9)} ${f(r.ortFp32Ms, 3).padStart(9)} ${f(r.ortQdqMs, 3).padStart(9)}  ${f(r.speedup).padStart(9)}  ${f(r.vsOrtFp32).padStart(6)}  ${f(r.vsOrtQdq).padStart(8)}  ${r.cosine.toFixed(5)}  ${r.maxRelErr.toExponential(1).padStart(11)}  ${`${r.int8Layers} (${r.kilnQdqLayers})`.padStart(17)}  ${(r.qdqRelDiff?.toExponential(1) ?? '-').padStart(15)}  ${r.ortQdqCosine?.toFixed(5) ?? '-'}`);
  }
  const out = join(root, 'out', 'int8-bench.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ threads, rows }, null, 2));
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const threads = Number(process.env.KILN_BENCH_THREADS ?? cpus().length);
  benchInt8(threads, process.env.KILN_BENCH_ONLY?.split(',').filter(Boolean)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
