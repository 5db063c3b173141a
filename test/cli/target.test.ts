// --target cuda from the command line: the flags are checked before anything slow
// (a bad target, --device on a CPU build, int8 on the GPU), and with nvcc on PATH a
// LeNet-sized DSL model cross-builds for sm_90 with --fp16 (16-bit storage chosen by the
// flag, not a rewrite to f16 layers) into a plan that names its GPU target, which
// `kiln inspect` reads on this machine without a GPU and `kiln run` refuses.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNvcc } from '../../codegen/cuda/index.js';
import { errorLine, kiln, MLP, tempDir } from './helpers.js';

const nvcc = findNvcc();

describe('kiln build --target', () => {
  it('refuses a target it does not know, CUDA flags on a CPU build, and int8 on the GPU', async () => {
    for (const [args, message] of [
      [['--target', 'gpu'], "--target must be cpu or cuda, got 'gpu'"],
      [['--device', '1'], '--device, --cuda-arch and --tf32 apply to --target cuda'],
      [['--tf32'], '--device, --cuda-arch and --tf32 apply to --target cuda'],
      [['--target', 'cuda', '--cuda-arch', '90'], "--cuda-arch must name an architecture like sm_90, got '90'"],
      [['--target', 'cuda', '--int8'], '--target cuda builds fp32, --fp16 or --bf16 plans'],
    ] as const) {
      const r = await kiln(['build', MLP, '--shapes', 'x:4x48', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(errorLine(r)).toContain(message);
    }
  });

  it.skipIf(!nvcc)('cross-builds a tf32 plan for sm_90 (nvcc)', async () => {
    const r = await kiln(['build', MLP, '--shapes', 'x:4x48', '--target', 'cuda', '--tf32', '--cuda-arch', 'sm_90']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('not saved');
  }, 120_000);

  it.skipIf(!nvcc)('cross-builds a CUDA fp16 plan for sm_90 (nvcc)', async () => {
    const plan = join(tempDir(), 'mlp-cuda.plan');
    const r = await kiln(['build', MLP, '--shapes', 'x:4x48', '--target', 'cuda', '--fp16', '--cuda-arch', 'sm_90', '--save-plan', plan]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`-> ${plan}`);
    // The plan's CUDA section: the target check refuses it on this machine, naming the architecture.
    const bytes = readFileSync(plan);
    expect(bytes.includes(Buffer.from('CUDA'))).toBe(true);
    // inspect reads it without loading it (no GPU here); run cannot.
    const inspect = await kiln(['inspect', plan]);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain('target cuda sm_90');
    expect(inspect.stdout).toMatch(/fc1 \+ bias \+ relu1 +MatMul +gemm/);
    const run = await kiln(['run', plan]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('plan built for sm_90');
  }, 120_000);

});
