// `npm run bench`: kiln against onnxruntime-node on the CPU, in the same process,
// interleaved, same thread count, median of repeated runs; prints a table of
// ORT time / kiln time (> 1 means kiln is faster), writes JSON, and notes the machine.
// Not a test: nothing here asserts a speed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchCases, type BenchRow } from './cases.js';
import { native } from '../../src/runtime/native.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<void> {
  const threads = Number(process.env.KILN_BENCH_THREADS ?? cpus().length);
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', isa: native().cpuFeatures(), threads, gemm: (native() as unknown as { gemmKernel?: () => string }).gemmKernel?.() };
  console.log(`machine: ${machine.cpu}; ISA ${machine.isa.join(' ')}; ${threads} threads; GEMM micro-kernel ${machine.gemm ?? '?'}`);
  const rows: BenchRow[] = [];
  for (const c of benchCases(root)) {
    const row = await c.run(threads);
    rows.push(row);
    console.log(`${row.name.padEnd(28)} kiln ${row.kilnMs.toFixed(3).padStart(9)} ms   ort ${row.ortMs.toFixed(3).padStart(9)} ms   ratio ${row.ratio.toFixed(2)}${row.note ? `   (${row.note})` : ''}`);
  }
  const out = join(root, 'out', 'bench.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ machine, rows }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
  process.exit(1);
});
