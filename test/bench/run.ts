// `npm run bench`: kiln against onnxruntime-node on the CPU, in the same process,
// interleaved, same thread count, median of repeated runs; prints a table of
// ORT time / kiln time (> 1 means kiln is faster; also of the best runs, which a
// shared machine's other load disturbs less), then the GEMM micro-benchmark as a
// fraction of the FMA peak, the build time of resnet18 with a cold and a warm timing
// cache, and the passes engineer's rows (benchPasses) when that file is present;
// writes everything to out/bench.json with the machine it ran on.
// Not a test: nothing here asserts a speed. KILN_BENCH_THREADS sets the threads,
// KILN_BENCH_ONLY=name,name runs only the cases whose name starts with one of them.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TimingCache } from '../../src/builder/timing-cache.js';
import { native } from '../../src/runtime/native.js';
import { benchCases, benchModels, buildModel, type BenchRow } from './cases.js';
import { benchGemm } from './gemm-bench.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const f = (v: number, d = 3) => v.toFixed(d);

function buildTimes(threads: number): Record<string, unknown> | undefined {
  const model = benchModels(root).find((m) => m.name === 'resnet18')!;
  if (!existsSync(model.file)) return undefined;
  const cache = new TimingCache();
  const cold = buildModel(model, 1, threads, cache);
  const warm = buildModel(model, 1, threads, cache);
  const identical = Buffer.from(cold.plan).equals(Buffer.from(warm.plan));
  console.log(`\nresnet18 batch 1 build: cold timing cache ${f(cold.ms, 0)} ms (${cold.timed} layers timed), warm ${f(warm.ms, 0)} ms (${warm.timed} timed); plans byte-identical: ${identical}`);
  return { model: 'resnet18', batch: 1, coldMs: cold.ms, coldTimed: cold.timed, warmMs: warm.ms, warmTimed: warm.timed, identical, cacheEntries: cache.size };
}

async function passesRows(): Promise<unknown> {
  const file = join(root, 'test', 'bench', 'passes-bench.ts');
  if (!existsSync(file)) return undefined;
  const mod = (await import('./passes-bench.js')) as { benchPasses?: () => Promise<unknown[]>; formatPassesTable?: (rows: never[]) => string };
  if (!mod.benchPasses) return undefined;
  const rows = await mod.benchPasses();
  console.log(`\npasses:\n${mod.formatPassesTable ? mod.formatPassesTable(rows as never[]) : JSON.stringify(rows, null, 1)}`);
  return rows;
}

async function main(): Promise<void> {
  const threads = Number(process.env.KILN_BENCH_THREADS ?? cpus().length);
  const only = process.env.KILN_BENCH_ONLY?.split(',').filter(Boolean);
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', isa: native().cpuFeatures(), threads, gemm: native().gemmKernel(), load: loadavg() };
  console.log(`machine: ${machine.cpu}; ISA ${machine.isa.join(' ')}; ${threads} threads; GEMM micro-kernel ${machine.gemm}; load average ${machine.load.map((l) => l.toFixed(1)).join(' ')}`);
  const { cases, missing } = benchCases(root);
  for (const m of missing) console.log(`skipped: ${m}`);
  const cache = new TimingCache();
  const rows: BenchRow[] = [];
  console.log(`${'case'.padEnd(28)} ${'kiln ms'.padStart(10)} ${'ort ms'.padStart(10)}  ort/kiln  best runs  rel.diff  slowest kiln layer`);
  for (const c of cases) {
    if (only && !only.some((o) => c.name.startsWith(o))) continue;
    const row = await c.run(threads, cache);
    rows.push(row);
    const top = row.topLayers?.[0];
    console.log(`${row.name.padEnd(28)} ${f(row.kilnMs).padStart(10)} ${f(row.ortMs).padStart(10)}  ${f(row.ratio, 2).padStart(8)}  ${f(row.bestRatio ?? NaN, 2).padStart(9)}  ${(row.relDiff ?? 0).toExponential(1).padStart(8)}  ${top ? `${top.name.slice(-40)} ${top.tactic ?? ''} ${f(top.ms)} ms` : ''}`);
  }
  const geo = rows.length ? Math.exp(rows.reduce((s, r) => s + Math.log(r.ratio), 0) / rows.length) : NaN;
  const geoBest = rows.length ? Math.exp(rows.reduce((s, r) => s + Math.log(r.bestRatio ?? r.ratio), 0) / rows.length) : NaN;
  if (rows.length) console.log(`geometric mean ort/kiln: ${f(geo, 2)} (medians), ${f(geoBest, 2)} (best runs)`);

  const gemm = benchGemm(threads);
  console.log(`\nGEMM (kiln ${machine.gemm}); FMA peak ${Object.entries(gemm.peak).map(([t, g]) => `${f(g, 1)} GFLOP/s on ${t} thread${t === '1' ? '' : 's'}`).join(', ')}`);
  for (const r of gemm.rows) {
    console.log(`  ${r.name.padEnd(24)} M=${String(r.m).padEnd(5)} N=${String(r.n).padEnd(6)} K=${String(r.k).padEnd(5)} ${r.threads} thr ${f(r.ms).padStart(9)} ms ${f(r.gflops, 1).padStart(7)} GFLOP/s  ${f(100 * r.ofPeak, 0).padStart(3)}% of peak  ${r.kernel ?? ''}`);
  }

  const build = buildTimes(threads);
  const passes = await passesRows();
  await (await import('./int8-bench.js')).benchInt8(threads, only); // int8 rows: kiln fp32 / int8 / QDQ vs ORT fp32 / QDQ, written to out/int8-bench.json
  await (await import('./lowp-bench.js')).benchLowp(root, threads); // bf16 rows, out/bench-lowp.json
  if (!only || only.some((o) => o.startsWith('dynamic'))) await (await import('./dynamic-bench.js')).benchDynamic(root, threads);
  const out = join(root, 'out', 'bench.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ machine, rows, geometricMeanRatio: geo, geometricMeanBestRatio: geoBest, gemm, build, passes }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
