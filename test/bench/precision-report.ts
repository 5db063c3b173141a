// `npm run precision-report`: for every model of the bench (../shared/models and
// resnet18 when made), the agreement of bf16, fp16 and int8 engines with the fp32
// one on a random input held out from calibration (cosine similarity of the first
// output, and max |x - fp32| / max |fp32|), and each one's speed against fp32 timed
// interleaved in one process. bf16 / fp16 are obeyed (every conv / fc layer in 16
// bits, to show their accuracy); 'bf16 pref' is what the builder keeps under
// 'prefer' (16 bits only where timed faster). int8 is calibrated (entropy) on 8
// random batches of the inputs' distribution (uniform [-1, 1], token ids < 1000).
// KILN_REPORT_ONLY=name,... restricts the models; KILN_REPORT_BATCH sets the batch (1).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArrayCalibrator, Builder, Logger, Runtime } from '../../src/index.js';
import type { BuilderConfig } from '../../src/builder/builder-config.js';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { mulberry32, type Tensor } from '../../src/interpret/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { benchModels, interleaved, type Model } from './cases.js';

export type Variant = 'fp32' | 'bf16' | 'fp16' | 'bf16 pref' | 'int8';

/** Random inputs of a model's distribution: floats uniform in [-1, 1], token ids below 1000. */
export function randomFeed(inputs: readonly { name: string; dtype: string; shape: number[] }[], seed: number): Record<string, Tensor> {
  const rng = mulberry32(seed);
  return Object.fromEntries(inputs.map((t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = t.dtype === 'i64' ? BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rng() * 1000))) : Float32Array.from({ length: n }, () => rng() * 2 - 1);
    return [t.name, { dtype: t.dtype as Tensor['dtype'], shape: t.shape, data }];
  }));
}

const setups: Record<Variant, (c: BuilderConfig, calibration: () => Record<string, Tensor>[]) => void> = {
  fp32: () => {},
  bf16: (c) => c.setFlag('bf16').setPrecisionConstraints('obey'),
  fp16: (c) => c.setFlag('fp16').setPrecisionConstraints('obey'),
  'bf16 pref': (c) => c.setFlag('bf16'),
  int8: (c, calibration) => {
    c.setFlag('int8');
    c.calibrator = new ArrayCalibrator(calibration(), 'entropy');
  },
};

/** Builds one model at one batch in one variant (autotuned on this machine, shared timing cache). */
export function buildVariant(model: Model, batch: number, variant: Variant, threads: number, cache: TimingCache): Uint8Array {
  const { graph } = importOnnx(model.file, { dims: { batch, seq: model.seq ?? 1 } });
  const builder = new Builder(new Logger('error'));
  const config = builder.createBuilderConfig().setTimingCache(cache);
  config.tuningThreads = threads;
  const inputs = graph.inputs.map((name) => ({ name, dtype: graph.types[name]!.dtype, shape: graph.types[name]!.shape as number[] }));
  setups[variant](config, () => Array.from({ length: 8 }, (_, i) => randomFeed(inputs, 1000 + i)));
  return builder.buildSerializedNetwork(graph, config);
}

/** Cosine similarity and max |a - b| / max |b| of two outputs. */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): { cosine: number; maxRelErr: number } {
  let ab = 0, aa = 0, bb = 0, diff = 0, scale = 0;
  for (let i = 0; i < b.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return { cosine: ab / Math.sqrt(aa * bb), maxRelErr: diff / Math.max(scale, 1e-30) };
}

export interface ReportRow {
  model: string;
  batch: number;
  variant: Variant;
  cosine: number;
  maxRelErr: number;
  /** fp32 ms / variant ms (> 1: the variant is faster), medians of interleaved runs. */
  speedup: number;
  ms: number;
  /** Build time of the variant (prefer times its layers both ways). */
  buildMs: number;
  /** Why the agreement is what it is, where that is not plain rounding. */
  note?: string;
}

/** The rows of one model: each variant against fp32. */
export async function reportModel(model: Model, batch: number, variants: readonly Variant[], threads: number, cache: TimingCache): Promise<ReportRow[]> {
  const runtime = new Runtime(new Logger('error'));
  const fp32 = runtime.deserializeEngine(buildVariant(model, batch, 'fp32', threads, cache));
  const base = fp32.createExecutionContext({ threads });
  const feed = randomFeed(fp32.inputs, 7);
  const host = Object.fromEntries(Object.entries(feed).map(([k, t]) => [k, { data: t.data as Float32Array, shape: t.shape }]));
  const first = fp32.outputs[0]!.name;
  const reference = (await base.run(host))[first]!.data as Float32Array;
  const rows: ReportRow[] = [];
  for (const variant of variants) {
    const t0 = performance.now();
    const plan = buildVariant(model, batch, variant, threads, cache);
    const buildMs = performance.now() - t0;
    const ctx = runtime.deserializeEngine(plan).createExecutionContext({ threads });
    const out = (await ctx.run(host))[first]!.data as Float32Array;
    const [ms32, ms] = await interleaved(() => base.run(host), () => ctx.run(host), 2000);
    // fp16's smallest value is 6e-8: activations that shrink below it (random-weight models do) become 0.
    const note = out.every((v) => v === 0) && reference.some((v) => v !== 0) ? `output all zeros (${variant} underflow)` : undefined;
    rows.push({ model: model.name, batch, variant, ...agreement(out, reference), speedup: ms32 / ms, ms, buildMs, ...(note ? { note } : {}) });
  }
  return rows;
}

async function main(): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const threads = Number(process.env.KILN_BENCH_THREADS ?? cpus().length);
  const batch = Number(process.env.KILN_REPORT_BATCH ?? 1);
  const only = process.env.KILN_REPORT_ONLY?.split(',').filter(Boolean);
  const cache = new TimingCache();
  const rows: ReportRow[] = [];
  console.log(`precision report, batch ${batch}, ${threads} threads: agreement with fp32 on a held-out random input, speed vs fp32 (interleaved medians)`);
  console.log(`${'model'.padEnd(14)} ${'variant'.padEnd(10)} ${'cosine'.padStart(9)} ${'max rel err'.padStart(12)} ${'ms'.padStart(9)} ${'vs fp32'.padStart(8)} ${'build'.padStart(8)}`);
  for (const model of benchModels(root)) {
    if (only && !only.includes(model.name)) continue;
    if (!existsSync(model.file)) {
      console.log(`${model.name}: ${model.file} is absent, skipped`);
      continue;
    }
    // One model that fails to build or run is reported and the others still run.
    try {
      for (const r of await reportModel(model, batch, ['bf16', 'fp16', 'bf16 pref', 'int8'], threads, cache)) {
        rows.push(r);
        console.log(`${r.model.padEnd(14)} ${r.variant.padEnd(10)} ${r.cosine.toFixed(6).padStart(9)} ${r.maxRelErr.toExponential(2).padStart(12)} ${r.ms.toFixed(3).padStart(9)} ${`${r.speedup.toFixed(2)}x`.padStart(8)} ${`${(r.buildMs / 1000).toFixed(1)} s`.padStart(8)}${r.note ? `  ${r.note}` : ''}`);
      }
    } catch (e) {
      console.log(`${model.name}: failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const out = join(root, 'out', 'precision-report.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ cpu: cpus()[0]?.model, threads, batch, rows }, null, 2));
  console.log(`wrote ${out}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e: unknown) => {
    console.error(`precision report failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  });
}
