// Compilers that turn the emitted module into a cubin. NVRTC (through the native
// addon) is the builder's default on a GPU machine; nvcc is the same front end as a
// program, so CI without a GPU (or without NVRTC) can still compile and check every
// emitted kernel, and cross-build plans for an architecture it does not have.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface CudaCompiler {
  /** "nvrtc 13.0" or "nvcc 13.0": recorded in the plan for inspection. */
  name: string;
  compile(source: string, arch: number, label: string): Uint8Array;
}

/** nvcc on PATH, under CUDA_HOME, or in /usr/local/cuda; undefined when absent. */
export function findNvcc(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'bin'), '/usr/local/cuda/bin'];
  for (const d of dirs) if (d && existsSync(join(d, 'nvcc'))) return join(d, 'nvcc');
  return undefined;
}

export function nvccCompiler(nvcc: string): CudaCompiler {
  const version = /release (\d+\.\d+)/.exec(execFileSync(nvcc, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return {
    name: `nvcc ${version}`,
    compile(source, arch, label) {
      const dir = mkdtempSync(join(tmpdir(), 'kiln-nvcc-'));
      try {
        const src = join(dir, 'module.cu'), out = join(dir, 'module.cubin');
        writeFileSync(src, source);
        try {
          execFileSync(nvcc, ['-cubin', `-arch=sm_${arch}`, '-std=c++17', '-o', out, src], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        } catch (e) {
          const err = e as { stderr?: string; message: string };
          throw new Error(`nvcc could not compile ${label} for sm_${arch}:\n${err.stderr ?? err.message}`);
        }
        return new Uint8Array(readFileSync(out));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
