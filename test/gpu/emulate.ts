// Runs a CUDA plan's generated kernels on the CPU through the emulator in
// emulator/ (g++ with std::thread blocks), so kernel logic is tested against the
// interpreter in CI without a GPU. Needs g++ with C++20 (std::barrier).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlanDesc } from '../../codegen/plan-desc.js';
import type { CudaProgram } from '../../codegen/cuda/index.js';

const here = join(dirname(fileURLToPath(import.meta.url)), 'emulator');
const SIZES = { f32: 4, f16: 2, bf16: 2, i8: 1, u8: 1, i32: 4, i64: 8, bool: 1 } as const;

export function hasGxx(): boolean {
  try {
    execFileSync('g++', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

class Job {
  private readonly parts: Uint8Array[] = [];
  u32(v: number): void { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); this.parts.push(b); }
  u64(v: number): void { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); this.parts.push(b); }
  bytes(b: Uint8Array): void { this.parts.push(b); }
  done(): Uint8Array { return Buffer.concat(this.parts); }
}

/** Inputs and outputs as raw bytes by plan tensor index. */
export function emulatePlan(given: PlanDesc, program: CudaProgram, inputs: Map<number, Uint8Array>): Uint8Array[] {
  // The program's derived constants (half weights) join the plan as the builder adds them.
  const plan = { ...given, tensors: [...given.tensors, ...program.tensors], weights: program.weights, arenaBytes: program.arenaBytes };
  const dir = mkdtempSync(join(tmpdir(), 'kiln-emu-'));
  try {
    writeFileSync(join(dir, 'module.cc'), program.source);
    const table = program.launches.map((l) => `  [](const unsigned* g, const unsigned* b, void** p) { emuLaunch(g, b, [=] { call(${l.function}, p); }); },`);
    writeFileSync(join(dir, 'table.inc'), `static void (*const kLaunches[])(const unsigned*, const unsigned*, void**) = {\n${table.join('\n')}\n  nullptr};\n`);
    const exe = join(dir, 'harness');
    execFileSync('g++', ['-std=c++20', '-O0', '-pthread', '-w', `-I${here}`, `-I${dir}`, '-o', exe, join(here, 'harness.cc')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const job = new Job();
    job.u64(plan.arenaBytes);
    job.u64(plan.weights.byteLength);
    job.bytes(plan.weights);
    job.u32(inputs.size);
    for (const [t, data] of inputs) {
      job.u64(plan.tensors[t]!.offset);
      job.u64(data.byteLength);
      job.bytes(data);
    }
    const bytesOf = (t: number) => plan.tensors[t]!.shape.reduce((a, b) => a * b, 1) * SIZES[plan.tensors[t]!.dtype];
    job.u32(plan.outputs.length);
    for (const t of plan.outputs) { job.u64(plan.tensors[t]!.offset); job.u64(bytesOf(t)); }
    job.u32(program.launches.length);
    for (const l of program.launches) {
      for (const v of [...l.grid, ...l.block]) job.u32(v);
      job.u32(l.args.length);
      for (const a of l.args) { job.u32(plan.tensors[a]!.location === 'arena' ? 0 : 1); job.u64(plan.tensors[a]!.offset); }
    }
    writeFileSync(join(dir, 'job.bin'), job.done());
    execFileSync(exe, [join(dir, 'job.bin'), join(dir, 'out.bin')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = new Uint8Array(readFileSync(join(dir, 'out.bin')));
    let at = 0;
    return plan.outputs.map((t) => { const n = bytesOf(t); const s = out.slice(at, at + n); at += n; return s; });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
