// The shared models and ResNet-50 on a GPU, for the device machine (bundled with
// esbuild and run by a bare Node next to the addon, as gpu-mnist.ts; see
// native/cuda/README.md). Reads WORKDIR/manifest.json from
// `python3 test/bench/gpu-resnet.py prepare WORKDIR` (seeded inputs and
// onnxruntime's outputs), builds each model for 'cuda' in fp32 and fp16, runs it
// and compares with onnxruntime; then builds ResNet-50 fp16 autotuned at batch 1
// and 256 and times it (wall-clock per run, GPU time of the run, and the sum of its
// kernels' times). Writes $OUT/gpu-models.json; gpu-resnet.py bench adds PyTorch.
// Usage: node gpu-models.mjs WORKDIR [--quick]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builder, Logger, Runtime } from '../../src/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { native } from '../../src/runtime/native.js';
import { checkFp16, checkKernelNets, checkTactics } from '../gpu/gpu-checks.js';

interface Entry {
  name: string;
  file: string;
  batch: number;
  dims: Record<string, number>;
  input: string;
  inputShape: number[];
  inputDtype: 'f32' | 'i64';
  inputFile: string;
  referenceFile: string;
  outputShape: number[];
}

const work = process.argv[2] ?? '/tmp/kiln-models';
const quiet = new Logger('error');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (s: string) => console.log(s);

function build(file: string, dims: Record<string, number>, precision: 'fp32' | 'tf32' | 'fp16' | 'bf16', autotune: boolean, tuneLog?: string[]) {
  const t0 = performance.now();
  const { graph } = importOnnx(file, { dims });
  const logger = new Logger('info', (_s, m) => { if (m.startsWith('autotune') && tuneLog) tuneLog.push(m); });
  const builder = new Builder(tuneLog ? logger : quiet);
  const config = builder.createBuilderConfig();
  config.target = 'cuda';
  config.cudaAutotune = autotune;
  config.cudaPrecision = precision;
  const plan = builder.buildSerializedNetwork(graph, config);
  return { plan, ms: performance.now() - t0 };
}

function readInput(e: Entry) {
  const bytes = readFileSync(e.inputFile);
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return e.inputDtype === 'i64' ? new BigInt64Array(buf) : new Float32Array(buf);
}

function compare(got: Float32Array, want: Float32Array) {
  let diff = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
    if (Number.isNaN(got[i]!)) diff = Infinity;
  }
  return { relDiff: diff / Math.max(scale, 1e-30), maxAbsDiff: diff, scale };
}

/** Each row's arg max, for classifiers' top-1 agreement. */
function top1(a: Float32Array, rows: number): number[] {
  const cols = a.length / rows;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < cols; c++) if (a[r * cols + c]! > a[r * cols + best]!) best = c;
    return best;
  });
}

async function timeRuns(plan: Uint8Array, feed: Record<string, { data: Float32Array; shape: number[] }>, runs: number) {
  const ctx = new Runtime(quiet).deserializeEngine(plan).createExecutionContext();
  for (let i = 0; i < 5; i++) await ctx.run(feed);
  const wall: number[] = [], gpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await ctx.run(feed);
    wall.push(performance.now() - s);
    if (ctx.lastGpuMs !== undefined) gpu.push(ctx.lastGpuMs);
  }
  const launches = native().cudaTimeLaunches(plan, 10);
  return { wallMs: +median(wall).toFixed(4), gpuMs: gpu.length ? +median(gpu).toFixed(4) : null, kernelsMs: +launches.reduce((a, b) => a + b, 0).toFixed(4), launches };
}

async function main(): Promise<number> {
  const devices = Runtime.cudaDevices();
  const report: Record<string, unknown> = { devices, nvrtc: native().nvrtcInfo() };
  log(JSON.stringify(report));
  if (!devices.available || devices.devices.length === 0) return 1;
  const manifest = JSON.parse(readFileSync(join(work, 'manifest.json'), 'utf8')) as Entry[];
  const checks: unknown[] = [];
  let ok = true;
  // The kernel networks: fp32 by rule, every fp32 tactic, fp16 tiles and split-K. --fp16-only: the last only,
  // the fp16 model checks, and autotuned timings (a short device call).
  const fp16Only = process.argv.includes('--fp16-only');
  // KILN_GPU_SKIP_CHECKS=1: timings only (a call that re-measures what an earlier call checked).
  const skipChecks = process.env.KILN_GPU_SKIP_CHECKS === '1';
  for (const c of skipChecks ? [] : [...(fp16Only ? [] : [...await checkKernelNets(), ...await checkTactics()]), ...await checkFp16()]) {
    ok &&= c.ok;
    checks.push(c);
    log(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  }
  for (const e of skipChecks ? [] : manifest) {
    const x = readInput(e);
    const refBytes = readFileSync(e.referenceFile);
    const want = new Float32Array(refBytes.buffer.slice(refBytes.byteOffset, refBytes.byteOffset + refBytes.byteLength));
    for (const precision of fp16Only ? (['fp16', 'bf16', 'tf32'] as const) : (['fp32', 'tf32', 'fp16', 'bf16'] as const)) {
      const tol = precision === 'fp32' ? 1e-3 : precision === 'tf32' ? 1e-2 : precision === 'bf16' ? 8e-2 : 3e-2;
      try {
        const { plan, ms } = build(e.file, e.dims, precision, false);
        const ctx = new Runtime(quiet).deserializeEngine(plan).createExecutionContext();
        const out = await ctx.run({ [e.input]: { data: x as Float32Array, shape: e.inputShape } });
        const got = Object.values(out)[0]!.data as Float32Array;
        const c = compare(got, want);
        const rows = e.outputShape[0]!;
        const t1 = want.length / rows >= 10 ? top1(got, rows).filter((v, i) => v === top1(want, rows)[i]).length : undefined;
        // Outputs below half's smallest normal (6.1e-5) cannot be checked in fp16: they flush toward zero
        // in any fp16 engine (MobileNetV2 with its seeded random weights ends near 1e-9).
        const unrepresentable = precision === 'fp16' && c.scale < 6.1e-5;
        const pass = c.relDiff <= tol;
        if (!unrepresentable) ok &&= pass;
        const row = { model: e.name, batch: e.batch, precision, buildMs: Math.round(ms), ...c, top1Agree: t1 === undefined ? undefined : `${t1}/${rows}`, tolerance: tol, pass, ...(unrepresentable ? { skipped: 'reference outputs below fp16 range' } : {}) };
        checks.push(row);
        const verdict = unrepresentable ? `SKIP (max |onnxruntime| = ${c.scale.toExponential(2)} is below fp16's normal range)` : pass ? 'PASS' : 'FAIL';
        log(`${verdict} ${e.name} ${precision} batch ${e.batch}: max |kiln - onnxruntime| / max |onnxruntime| = ${c.relDiff.toExponential(2)} (tolerance ${tol}), top-1 ${row.top1Agree ?? '-'}, build ${Math.round(ms)} ms`);
      } catch (err) {
        ok = false;
        const message = (err as Error).message.split('\n')[0]!.slice(0, 300);
        checks.push({ model: e.name, batch: e.batch, precision, pass: false, error: message });
        log(`FAIL ${e.name} ${precision}: ${message}`);
      }
    }
  }
  report.checks = checks;
  const out = process.env.OUT ?? join(process.cwd(), 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'gpu-models.json'), JSON.stringify(report, null, 1));

  const resnet = manifest.find((m) => m.name === 'resnet50');
  const timings: unknown[] = [];
  const profiles: unknown[] = [];
  const tuneLog: string[] = [];
  if (resnet && !process.argv.includes('--quick')) {
    // --fp16-only: fp16 autotuned at 256 and 1, then bf16 at 256 (last: the least needed if the call runs out of time).
    // KILN_GPU_TIMINGS=256:tf32,1:fp16 replaces the list.
    const given = process.env.KILN_GPU_TIMINGS?.split(',').map((p) => p.split(':')).map(([b, p]): [number, ('tf32' | 'fp16' | 'bf16')[]] => [Number(b), [p as 'tf32' | 'fp16' | 'bf16']]);
    const plans: [number, ('tf32' | 'fp16' | 'bf16')[]][] = given ?? (fp16Only ? [[256, ['fp16']], [1, ['fp16']], [256, ['bf16']]] : [[1, ['fp16', 'bf16']], [256, ['fp16', 'bf16']]]);
    for (const [batch, precisions] of plans) {
      const n = batch * 3 * 224 * 224;
      const x = new Float32Array(n);
      const src = readInput(resnet) as Float32Array;
      for (let i = 0; i < n; i += src.length) x.set(src.subarray(0, Math.min(src.length, n - i)), i);
      const feed = { [resnet.input]: { data: x, shape: [batch, 3, 224, 224] } };
      const runs = [...(fp16Only ? [] : [['fp16', false] as const]), ...precisions.map((p) => [p, true] as const)];
      for (const [precision, autotune] of runs) {
        const { plan, ms } = build(resnet.file, { batch }, precision, autotune, autotune ? tuneLog : undefined);
        const t = await timeRuns(plan, feed, batch === 1 ? 300 : 20);
        const engine = `kiln cuda ${precision} ${autotune ? 'autotuned' : 'rule'} graph`;
        const row = { engine, model: 'resnet50', batch, buildMs: Math.round(ms), wallMs: t.wallMs, gpuMs: t.kernelsMs, runGpuMs: t.gpuMs, imagesPerS: Math.round(batch / (t.kernelsMs / 1000)) };
        timings.push(row);
        log(JSON.stringify(row));
        const info = native().inspectPlan(plan);
        profiles.push({ engine, batch, launches: info.cuda!.launches.map((l, i) => ({ layer: l.layer, function: l.function, grid: l.grid, block: l.block, us: +(t.launches[i]! * 1000).toFixed(1) })) });
        writeFileSync(join(out, 'gpu-models.json'), JSON.stringify({ ...report, timings, profiles, autotune: tuneLog }, null, 1));
      }
    }
  }
  writeFileSync(join(out, 'gpu-models.json'), JSON.stringify({ ...report, timings, profiles, autotune: tuneLog }, null, 1));
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error('gpu-models failed:', e);
  process.exit(1);
});
