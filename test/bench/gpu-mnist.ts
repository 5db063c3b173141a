// SampleMNIST on a GPU, for the device machine (bundled with esbuild, run by a bare
// Node next to the addon; see native/cuda/README.md): every GPU check of
// test/gpu/gpu-checks.ts, then build times and latency/throughput at batch 1 and
// 256 for the CUDA engine (graph replay on and off) and the CPU engine, printed
// and written as JSON to $OUT/gpu-mnist.json (or bench-results/).
// Usage: node gpu-mnist.mjs [repoRoot]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builder, Logger, Runtime } from '../../src/index.js';
import { native } from '../../src/runtime/native.js';
import { INPUT, defineMnistNetwork } from '../../samples/mnist/network.js';
import { buildCuda, checkKernelNets, checkMnist, checkTactics, checkTargetRefusal, gpuUnavailable, mnistAssets, pixels } from '../gpu/gpu-checks.js';
import { quiet } from '../gpu/helpers.js';

const root = process.argv[2] ?? process.cwd();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(plan: Uint8Array, batch: number, runs: number, graph: boolean, threads?: number) {
  process.env.KILN_CUDA_GRAPH = graph ? '1' : '0';  // read when a context is created
  const ctx = new Runtime(quiet).deserializeEngine(plan).createExecutionContext(threads === undefined ? {} : { threads });
  const a = mnistAssets(root);
  const x = pixels(a.images, 0, Math.min(batch, 500));
  const input = new Float32Array(batch * 784);
  for (let i = 0; i < batch; i += 500) input.set(x.subarray(0, Math.min(500, batch - i) * 784), i * 784);
  for (let i = 0; i < 20; i++) await ctx.run({ [INPUT]: { data: input, shape: [batch, 1, 28, 28] } });
  const wall: number[] = [], gpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    await ctx.run({ [INPUT]: { data: input, shape: [batch, 1, 28, 28] } });
    wall.push(performance.now() - s);
    if (ctx.lastGpuMs !== undefined) gpu.push(ctx.lastGpuMs);
  }
  const w = median(wall);
  return { batch, runs, graph, wallMs: +w.toFixed(4), gpuMs: gpu.length ? +median(gpu).toFixed(4) : null, imagesPerS: Math.round(batch / (w / 1000)) };
}

async function main(): Promise<number> {
  const why = gpuUnavailable();
  const report: Record<string, unknown> = { devices: Runtime.cudaDevices(), nvrtc: native().nvrtcInfo() };
  console.log(JSON.stringify(report, null, 1));
  if (why) {
    console.log(`no GPU: ${why}`);
    return 1;
  }
  const checks = [...await checkKernelNets(), ...await checkTactics(), ...await checkMnist(root), checkTargetRefusal(root, 'sm_80')];
  for (const c of checks) console.log(`${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`);
  report.checks = checks;

  const a = mnistAssets(root);
  const timings: unknown[] = [];
  const profiles: unknown[] = [];
  // Autotuning's own report: every tactic's time per layer, from the builder's log.
  const tuneLog: string[] = [];
  const tuneLogger = new Logger('info', (_severity, message) => { if (message.startsWith('autotune')) tuneLog.push(message); });
  for (const batch of [1, 256]) {
    const net = defineMnistNetwork(a.weights, batch);
    let t0 = performance.now();
    const rulePlan = buildCuda(net, { autotune: false });
    const ruleBuildMs = performance.now() - t0;
    t0 = performance.now();
    const gpuPlan = buildCuda(net, { autotune: true, logger: tuneLogger });
    const buildMs = performance.now() - t0;
    t0 = performance.now();
    const cpuPlan = new Builder(quiet).buildSerializedNetwork(net);
    const cpuBuildMs = performance.now() - t0;
    const runs = batch === 1 ? 1000 : 200;
    const rows = [
      { engine: 'kiln cuda graph (autotuned)', buildMs, ...(await time(gpuPlan, batch, runs, true)) },
      { engine: 'kiln cuda launches (autotuned)', buildMs, ...(await time(gpuPlan, batch, runs, false)) },
      { engine: 'kiln cuda graph (rule tiles)', buildMs: ruleBuildMs, ...(await time(rulePlan, batch, runs, true)) },
      { engine: 'kiln cpu', buildMs: cpuBuildMs, ...(await time(cpuPlan, batch, batch === 1 ? 500 : 30, false)) },
    ];
    for (const r of rows) console.log(JSON.stringify(r));
    timings.push(...rows);
    for (const [kind, plan] of [['autotuned', gpuPlan], ['rule', rulePlan]] as const) {
      const info = native().inspectPlan(plan);
      const ms = native().cudaTimeLaunches(plan, 50);
      const layers = info.cuda!.launches.map((l, i) => ({ layer: l.layer, function: l.function, grid: l.grid, block: l.block, us: +(ms[i]! * 1000).toFixed(2) }));
      console.log(`per-launch GPU time, batch ${batch}, ${kind}: ${layers.map((l) => `${l.layer} ${l.us} us`).join(' | ')}`);
      profiles.push({ batch, kind, layers });
    }
  }
  for (const l of tuneLog) console.log(l);
  report.autotune = tuneLog;
  report.profiles = profiles;
  report.timings = timings;
  const out = process.env.OUT ?? join(root, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'gpu-mnist.json'), JSON.stringify(report, null, 1));
  return checks.every((c) => c.ok) ? 0 : 1;
}

main().then((code) => process.exit(code), (e: unknown) => {
  console.error('gpu-mnist failed:', e);
  process.exit(1);
});
