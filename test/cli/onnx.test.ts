// The CLI on a real .onnx file (LeNet from ../shared/models): build, inspect, run,
// and compare against both the interpreter and onnxruntime. Skips, saying so, where
// ../shared is absent.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, errorLine, kiln, tempDir } from './helpers.js';

const MODELS = join(ROOT, '..', 'shared', 'models');
const LENET = join(MODELS, 'lenet.onnx');
const ENCODER = join(MODELS, 'encoder.onnx');
const have = existsSync(LENET);
if (!have) console.warn(`test/cli/onnx: ${LENET} not found (../shared is absent); skipping the ONNX CLI tests`);

describe.runIf(have).concurrent('kiln on lenet.onnx', () => {
  it('builds with the import in the summary and a fused Gemm + Relu; inspect names it', async () => {
    const plan = join(tempDir(), 'lenet.plan');
    const b = await kiln(['build', LENET, '--shapes', 'input:1x1x28x28', '--save-plan', plan]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/^ {2}onnx {7}opset \d+, 9 nodes -> \d+ layers at import/m);
    const i = await kiln(['inspect', plan]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/^ {2}input {2}f32\[1,1,28,28\]$/m);
    expect(i.stdout).toMatch(/^\d+ +\/f1\/Gemm \+ \/Relu +MatMul +(gemm|gemv|gemmPacked)( \(\S+\))? +f32 +\/f1\/Gemm, .*\/Relu/m);
  });

  it('needs --shapes for its dynamic batch, and says so', async () => {
    const r = await kiln(['build', LENET]);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/input 'input' has dynamic shape f32\[batch,1,28,28\]; give its shape, e\.g\. --shapes input:1x1x28x28/);
  });

  it('compare passes against the interpreter and onnxruntime, also layer by layer', async () => {
    const r = await kiln(['compare', LENET, '--shapes', 'input:2x1x28x28', '--mark-all']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^output output f32\[2,10\] vs interpreter: .* PASSED$/m);
    expect(r.stdout).toMatch(/^output output vs onnxruntime: .* PASSED$/m);
    expect(r.stdout).toMatch(/^\/Relu_output_0 +\/f1\/Gemm \+ \/Relu .* PASSED$/m);
  });

  it('--support-report prints the importer\'s table', async () => {
    const r = await kiln(['build', LENET, '--shapes', 'input:1x1x28x28', '--support-report']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/lenet\.onnx: opset \d+, 9 nodes \(\d+ op types\): all supported/);
  });

  it.runIf(existsSync(ENCODER))('binds symbolic dims at import, so the encoder\'s attention reshapes fold', async () => {
    const r = await kiln(['run', ENCODER, '--shapes', 'input:1x8']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^input {2}input: i64\[1,8\] from random/m);
  });
});
