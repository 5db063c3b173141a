// kiln debug as a process. reduce: a --plugin pass breaks one named layer (wrong numbers,
// or a build error); the reduced model must still fail, contain that layer and be small.
// precision: the spec it prints must make an fp16 build pass the tolerance it was asked
// for, where the all-fp16 build fails it (checked with kiln compare).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/index.js';
import { errorLine, FIXTURES, kiln, MLP, tempDir } from './helpers.js';

const LENET = join(import.meta.dirname, '..', '..', '..', 'shared', 'models', 'lenet.onnx');
if (!existsSync(LENET)) console.log(`${LENET} is absent; these kiln commands are not run on it`);
const PLUGIN = join(FIXTURES, 'corrupt-layer.ts');
const reduce = (layer: string, out: string, extra: string[] = [], mode = 'scale') =>
  kiln(['debug', 'reduce', LENET, '--shapes', 'input:1x1x28x28', '--plugin', PLUGIN, '-o', out, ...extra], { env: { KILN_CORRUPT_LAYER: layer, KILN_CORRUPT_MODE: mode } });

describe.skipIf(!existsSync(LENET))('kiln debug reduce', () => {
  const layers = existsSync(LENET) ? importOnnx(LENET).graph.nodes.map((n) => n.name) : [];

  it.each(['/c2/Conv', '/f1/Gemm'])('a wrong layer %s: the reduced model holds it and at most 2 layers', async (culprit) => {
    expect(layers).toContain(culprit);
    const out = join(tempDir(), 'reduced.onnx');
    const r = await reduce(culprit, out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`failing: ${layers.length} layers; outputs differ`));
    const m = /reduced (\d+) layers -> (\d+) in (\d+) checks/.exec(r.stdout)!;
    expect(Number(m[1])).toBe(layers.length);
    const reduced = importOnnx(out).graph;
    expect(reduced.nodes.length).toBe(Number(m[2]));
    expect(reduced.nodes.length).toBeLessThanOrEqual(2);
    expect(reduced.nodes.map((n) => n.name)).toContain(culprit);
    // The reduced model fails on its own, with the same plugin: compare says FAILED.
    const again = await kiln(['compare', out, '--plugin', PLUGIN, '--no-onnxruntime'], { env: { KILN_CORRUPT_LAYER: culprit } });
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/FAILED/);
  });

  it('--reference onnxruntime judges each subgraph by onnxruntime on its exported ONNX', async () => {
    const out = join(tempDir(), 'reduced.onnx');
    const r = await reduce('/f2/Gemm', out, ['--reference', 'onnxruntime', '--atol', '1e-4', '--rtol', '1e-4']);
    expect(r.code).toBe(0);
    expect(importOnnx(out).graph.nodes.map((n) => n.name)).toContain('/f2/Gemm');
    expect(Number(/-> (\d+) in/.exec(r.stdout)![1])).toBeLessThanOrEqual(2);
  });

  it('a build error at one layer reduces to that layer', async () => {
    const out = join(tempDir(), 'reduced.onnx');
    const r = await reduce('/MaxPool_1', out, [], 'throw');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/the build fails: pass 'CorruptLayer' failed: corrupt-layer plugin: cannot build layer '\/MaxPool_1'/);
    expect(importOnnx(out).graph.nodes.map((n) => n.name)).toEqual(['/MaxPool_1']);
  });

  it('a model kiln gets right has nothing to reduce (exit 1, one line)', async () => {
    const r = await reduce('no such layer', join(tempDir(), 'x.onnx'), ['--atol', '1e-4', '--rtol', '1e-4']);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(/kiln matches the interpreter within atol 0\.0001, rtol 0\.0001: nothing to reduce/);
  });

  it('needs fixed shapes and a known reference', async () => {
    const shapes = await kiln(['debug', 'reduce', LENET]);
    expect(shapes.code).toBe(2);
    expect(errorLine(shapes)).toMatch(/input 'input' has symbolic dim 'batch'; fix it with --shapes input:1x1x28x28/);
    const ref = await kiln(['debug', 'reduce', LENET, '--reference', 'tensorrt']);
    expect(errorLine(ref)).toMatch(/--reference must be interpreter or onnxruntime, got 'tensorrt'/);
  });
});

describe('kiln debug precision', () => {
  it('prints a --layer-precisions spec that passes where all-fp16 fails', async () => {
    const tol = ['--atol', '1e-5', '--rtol', '1e-5'];
    const r = await kiln(['debug', 'precision', MLP, '--shapes', 'x:4x48', '--fp16', ...tol]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /(\d+) of (\d+) layers must stay fp32 for fp16 to pass/.exec(r.stdout)!;
    expect(Number(m[1])).toBeLessThan(Number(m[2]));
    const spec = /--layer-precisions '([^']+)' --precision-constraints obey/.exec(r.stdout)![1]!;
    expect(spec).toMatch(/:fp32,.*\*:fp16$/);
    const compare = (s: string) => kiln(['compare', MLP, '--shapes', 'x:4x48', '--fp16', '--layer-precisions', s, '--precision-constraints', 'obey', ...tol]);
    expect((await compare(spec)).code).toBe(0);
    expect((await compare('*:fp16')).code).toBe(1);
  });

  it('tests exactly one precision and finds the spec itself', async () => {
    const none = await kiln(['debug', 'precision', MLP, '--shapes', 'x:4x48']);
    expect(none.code).toBe(2);
    expect(errorLine(none)).toMatch(/give exactly one of --fp16, --bf16, --int8/);
    const spec = await kiln(['debug', 'precision', MLP, '--shapes', 'x:4x48', '--bf16', '--layer-precisions', 'fc1:fp32']);
    expect(errorLine(spec)).toMatch(/finds --layer-precisions itself; drop the flag/);
  });
});
