// Low-precision builds from the command line: --fp16/--bf16/--int8 reach the
// BuilderConfig (the summary's precision mix shows them), --int8 without --calib
// calibrates on random data with a warning, --calib reads .npy batches or a cache,
// --layer-precisions under obey pins a layer, and --mem-pool caps the arena.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveNpy } from '../../src/io/index.js';
import { mulberry32, randomTensor } from '../../src/interpret/index.js';
import { errorLine, kiln, MLP, tempDir } from './helpers.js';

const build = (...args: string[]) => kiln(['build', MLP, '--shapes', 'x:4x48', ...args]);
const mix = (stdout: string) => /precision {2}(.*)/.exec(stdout)?.[1] ?? '';

describe('precision flags', () => {
  it('--fp16 with fc1 obeyed at fp32 gives an f16 layer and keeps fc1 f32', async () => {
    const r = await build('--fp16', '--layer-precisions', 'fc1:fp32,*:fp16', '--precision-constraints', 'obey', '--verbose');
    expect(r.code).toBe(0);
    expect(mix(r.stdout)).toMatch(/f16: \d+ layer/);
    expect(r.stdout).toMatch(/%relu1: f32\[4,64\] = MatMul.*# fc1 \+ bias \+ relu1/);
    expect(r.stdout).toMatch(/f16\[4,10\] = MatMul.*# fc2 \+ bias/);
  });

  it('--int8 without --calib warns and quantizes on random data', async () => {
    const r = await build('--int8', '--precision-constraints', 'obey');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: --int8 without --calib: calibrating on random inputs/);
    expect(mix(r.stdout)).toMatch(/i8: 2 layers/);
  });

  it('inspect of a bf16 plan reads each layer\'s precision from the plan', async () => {
    const plan = join(tempDir(), 'bf16.plan');
    expect((await build('--bf16', '--layer-precisions', '*:bf16', '--precision-constraints', 'obey', '--save-plan', plan)).code).toBe(0);
    const j = JSON.parse((await kiln(['inspect', plan, '--json'])).stdout);
    const fc1 = j.layers.find((l: { fused: string[] }) => l.fused.includes('fc1'));
    expect(fc1.precision).toBe('bf16');
    const prob = j.layers.find((l: { fused: string[] }) => l.fused.includes('prob'));
    expect(prob.precision).toBe('f32');
    expect(j.precisionNote).toBeUndefined();
  });

  it('compare --mark-all checks f16 intermediates and leaves int8 ones out, saying why', async () => {
    const f16 = await kiln(['compare', MLP, '--shapes', 'x:4x48', '--fp16', '--layer-precisions', '*:fp16', '--precision-constraints', 'obey', '--mark-all', '--atol', '1e-2', '--rtol', '1e-2']);
    expect(f16.code).toBe(0);
    expect(f16.stdout).toMatch(/relu1 +fc1 \+ bias \+ relu1 +f16\[4,64\] .* PASSED/);
    const i8 = await kiln(['compare', MLP, '--shapes', 'x:4x48', '--int8', '--precision-constraints', 'obey', '--mark-all', '--atol', '1', '--rtol', '1']);
    expect(i8.stdout).toMatch(/not compared \(int8 tensors, quantized; the reference holds floats\): relu1/);
  });

  it('--int8 --calib DIR reads .npy batches', async () => {
    const dir = tempDir();
    const rng = mulberry32(2);
    for (let k = 0; k < 3; k++) saveNpy(join(dir, `x_${k}.npy`), randomTensor('f32', [4, 48], rng, { min: -1, max: 1 }) as never);
    const r = await build('--int8', '--precision-constraints', 'obey', '--calib', dir);
    expect(r.stderr).not.toMatch(/random inputs/);
    expect(r.code).toBe(0);
    expect(mix(r.stdout)).toMatch(/i8: 2 layers/);
  });

  it('--calib with an empty folder says what it needs', async () => {
    const dir = join(tempDir(), 'empty');
    mkdirSync(dir);
    const r = await build('--int8', '--calib', dir);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/--calib .*empty: no \.npy batches; save calibration inputs with np\.save/);
  });

  it('--mem-pool caps the arena: above it the build fails naming both sizes', async () => {
    const r = await build('--mem-pool', 'workspace:1K');
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/the plan needs an arena of \d+ B per execution context, above --mem-pool's 1024 B/);
    expect((await build('--mem-pool', 'workspace:64M')).code).toBe(0);
  });
});
