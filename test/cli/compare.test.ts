// kiln compare: passes at the default tolerance, and fails (exit 1) at atol = rtol = 0,
// because kiln's fp32 GEMM sums in another order (and precision) than the f64
// interpreter; the test checks those differences are real, not an artefact. --mark-all
// compares the tensors between fused layers.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MLP, MNIST, errorLine, kiln, tempDir } from './helpers.js';

/** The `max abs` of every comparison line the command printed. */
function maxAbsErrors(stdout: string): number[] {
  return [...stdout.matchAll(/: max abs ([\d.e+-]+|0),/g)].map((m) => Number(m[1]));
}

describe.concurrent('kiln compare', () => {
  it('passes at the default tolerance, with statistics and a histogram', async () => {
    const r = await kiln(['compare', MLP, '--shapes', 'x:4x48']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^tolerance: \|kiln - reference\| <= atol \+ rtol \* \|reference\| with atol 0\.00001, rtol 0\.00001$/m);
    expect(r.stdout).toMatch(/^output y f32\[4,10\] vs interpreter: max abs \S+, mean abs \S+, max rel \S+, mean rel \S+ {2}PASSED$/m);
    expect(r.stdout).toMatch(/^ {2}0 of 40 elements outside tolerance; largest error at \[\d+\]: kiln [\d.e-]+ vs [\d.e-]+$/m);
    expect(r.stdout).toMatch(/^ {2}\|error\| histogram:\n( {4}\s*(0|<= 1e-\d|> 1) \| #* +\d+\n)+/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('PASSED: every comparison is within tolerance');
  });

  it('fails with exit 1 at atol 0 and rtol 0, because fp32 GEMM really differs from the f64 reference', async () => {
    const r = await kiln(['compare', MLP, '--shapes', 'x:4x48', '--atol', '0', '--rtol', '0']);
    expect(r.code).toBe(1);
    const [maxAbs] = maxAbsErrors(r.stdout);
    // Real differences, yet tiny: a few ulps of values below 1.
    expect(maxAbs).toBeGreaterThan(0);
    expect(maxAbs).toBeLessThan(1e-5);
    expect(r.stdout).toMatch(/^output y .* {2}FAILED$/m);
    expect(r.stdout).toMatch(/^ {2}[1-9]\d* of 40 elements outside tolerance/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('FAILED: 1 comparison outside tolerance (atol 0, rtol 0)');
  });

  it('--mark-all compares every tensor that survives optimization, at fusion boundaries', async () => {
    const r = await kiln(['compare', MLP, '--shapes', 'x:2x48', '--mark-all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^intermediate tensors \(--mark-all\): 2 that survive optimization, vs interpreter$/m);
    expect(r.stdout).toMatch(/^relu1 +fc1 \+ bias \+ relu1 +f32\[2,64\] +\S+ +\S+ +0\/128 +PASSED$/m);
    expect(r.stdout).toMatch(/^fc2\.bias_add +fc2 \+ bias +f32\[2,10\] .* PASSED$/m);
    // Fused-away values (fc1's output before its bias) are not compared.
    expect(r.stdout).not.toMatch(/^fc1 /m);
  });

  it('compares SampleMNIST layer by layer', async () => {
    const r = await kiln(['compare', MNIST, '--mark-all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^output prob f32\[1,10\] vs interpreter: .* PASSED$/m);
    for (const t of ['conv1', 'pool1', 'conv2', 'pool2', 'relu1']) expect(r.stdout).toMatch(new RegExp(`^${t} .* PASSED$`, 'm'));
  });

  it('needs a MODEL: a plan keeps no graph for the reference', async () => {
    const plan = join(tempDir(), 'mlp.plan');
    expect((await kiln(['build', MLP, '--shapes', 'x:1x48', '--save-plan', plan])).code).toBe(0);
    const r = await kiln(['compare', plan]);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/kiln compare needs a MODEL \(\.ts\/\.js or \.onnx\): '.*mlp\.plan' is a plan, which keeps no graph/);
  });
});
