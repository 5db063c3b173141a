// kiln build and kiln inspect on the DSL fixture and SampleMNIST's LeNet: the plan is
// written and loadable, the summary counts layers before and after fusion, and
// inspect (text and JSON) names the fused layers, kernels, precision and memory.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MLP, MNIST, kiln, tempDir } from './helpers.js';

const dir = tempDir();
const mlpPlan = join(dir, 'mlp.plan');
const mnistPlan = join(dir, 'mnist.plan');

describe('kiln build', () => {
  let mlpBuild: Awaited<ReturnType<typeof kiln>>;
  beforeAll(async () => {
    [mlpBuild] = await Promise.all([
      kiln(['build', MLP, '--shapes', 'x:4x48', '--save-plan', mlpPlan, '--export-json', join(dir, 'mlp-build.json')]),
      kiln(['build', MNIST, '--save-plan', mnistPlan]),
    ]);
  });

  it('writes the plan and summarizes the build', () => {
    expect(mlpBuild.code).toBe(0);
    expect(statSync(mlpPlan).size).toBeGreaterThan(1000);
    expect(readFileSync(mlpPlan).subarray(0, 8).toString('latin1')).toBe('KILNPLAN');
    const out = mlpBuild.stdout;
    expect(out).toMatch(new RegExp(`^built ${MLP.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} in [\\d.]+ ms -> ${mlpPlan.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    expect(out).toMatch(/^ {2}layers {5}6 -> 3 after optimization \(2 fused: 'fc1 \+ bias \+ relu1', 'fc2 \+ bias'\)$/m);
    expect(out).toMatch(/^ {2}passes {5}\d+ in [\d.]+ ms; changed the graph: .*FuseEpilogues/m);
    expect(out).toMatch(/^ {2}precision {2}f32: 3 layers$/m);
    expect(out).toMatch(new RegExp(`^  plan +[\\d.]+ KiB \\(${statSync(mlpPlan).size} B\\)$`, 'm'));
    expect(out).toMatch(/^ {2}weights +[\d.]+ KiB$/m);
    expect(out).toMatch(/^ {2}arena +[\d.]+ (B|KiB) per execution context/m);
  });

  it('--export-json writes the summary as data', () => {
    const j = JSON.parse(readFileSync(join(dir, 'mlp-build.json'), 'utf8'));
    expect(j).toMatchObject({ model: MLP, layersBefore: 6, layersAfter: 3, precision: { f32: 3 }, planBytes: statSync(mlpPlan).size });
    expect(j.layers.find((l: { fused: string[] }) => l.fused.includes('relu1'))).toMatchObject({ op: 'MatMul', fused: expect.arrayContaining(['fc1', 'relu1']), dtype: 'f32' });
    expect(j.weightsBytes).toBeGreaterThan(0);
    expect(j.arenaBytes).toBeGreaterThan(0);
    expect(j.passes.some((p: { pass: string; changed: boolean }) => p.pass === 'FuseEpilogues' && p.changed)).toBe(true);
  });

  it('reports each phase on stderr while it builds: passes by name, lowering, autotuning, serializing', () => {
    const phases = mlpBuild.stderr.split('\n').filter(Boolean);
    expect(phases).toContain('kiln: building: pass FuseEpilogues');
    const lowering = phases.indexOf('kiln: building: lowering');
    expect(phases.slice(lowering + 1, -1).every((p) => /^kiln: building: autotuning layer \d+ of \d+ '/.test(p))).toBe(true);
    expect(phases.at(-1)).toBe('kiln: building: serializing');
  });

  it('opt level 0 fuses nothing; --verbose prints the optimized graph and a pass table', async () => {
    const r0 = await kiln(['build', MLP, '--shapes', 'x:1x48', '--opt-level', '0']);
    expect(r0.code).toBe(0);
    expect(r0.stdout).toMatch(/layers {5}6 -> 6 after optimization\n/);
    expect(r0.stdout).toContain('(not saved; add --save-plan FILE)');
    const rv = await kiln(['build', MLP, '--shapes', 'x:1x48', '--verbose', '--disable-pass', 'FuseEpilogues']);
    expect(rv.code).toBe(0);
    expect(rv.stdout).toContain('optimized graph:');
    expect(rv.stdout).toMatch(/^pass +ms +changed$/m);
    expect(rv.stdout).not.toContain('FuseEpilogues');
  });

  it('refuses a plan as MODEL', async () => {
    const r = await kiln(['build', mlpPlan]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is already a plan; kiln build takes a MODEL/);
  });

  it('builds SampleMNIST with fc1, its bias and relu1 fused into one GEMM', async () => {
    expect(existsSync(mnistPlan)).toBe(true);
    const r = await kiln(['inspect', mnistPlan]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}data {2}f32\[1,1,28,28\]$/m);
    expect(r.stdout).toMatch(/^ {2}prob {2}f32\[1,10\]$/m);
    expect(r.stdout).toMatch(/^layers \([4-9]\)$/m);
    expect(r.stdout).toMatch(/^\d +fc1 \+ bias \+ relu1 +MatMul +(gemm|gemv|gemmPacked)( \(\S+\))? +f32 +fc1, fc1\.bias_add, relu1 +relu1$/m);
  });
});

describe('kiln inspect', () => {
  beforeAll(async () => {
    if (!existsSync(mlpPlan)) await kiln(['build', MLP, '--shapes', 'x:4x48', '--save-plan', mlpPlan]);
  });

  it('prints IO tensors, fused layers with kernel and precision, and memory', async () => {
    const r = await kiln(['inspect', mlpPlan]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^plan .*mlp\.plan: kiln \d+\.\d+\.\d+, plan format \d+, target CPU/m);
    expect(r.stdout).toMatch(/^memory: plan [\d.]+ KiB, weights [\d.]+ KiB, arena [\d.]+ (B|KiB) per execution context$/m);
    expect(r.stdout).toMatch(/^ {2}x {2}f32\[4,48\]$/m);
    expect(r.stdout).toMatch(/^ {2}y {2}f32\[4,10\]$/m);
    expect(r.stdout).toMatch(/^0 +fc1 \+ bias \+ relu1 +MatMul +(gemm|gemv|gemmPacked)( \(\S+\))? +f32 +fc1, fc1\.bias_add, relu1 +relu1$/m);
    expect(r.stdout).toMatch(/^1 +fc2 \+ bias +MatMul +(gemm|gemv|gemmPacked)( \(\S+\))? +f32 +fc2, fc2\.bias_add/m);
    expect(r.stdout).toMatch(/^2 +prob +Softmax +softmax/m);
  });

  it('--json gives the same as one document', async () => {
    const r = await kiln(['inspect', mlpPlan, '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.kind).toBe('plan');
    expect(doc.planBytes).toBe(statSync(mlpPlan).size);
    expect(doc.memory.weightsBytes).toBeGreaterThan((64 * 48 + 64 + 10 * 64 + 10) * 4 - 1);
    expect(doc.memory.arenaBytes).toBeGreaterThan(0);
    expect(doc.inputs).toEqual([{ name: 'x', dtype: 'f32', shape: [4, 48], type: 'f32[4,48]' }]);
    expect(doc.layers.map((l: { name: string }) => l.name)).toEqual(['fc1 + bias + relu1', 'fc2 + bias', 'prob']);
    expect(doc.layers[0]).toMatchObject({ op: 'MatMul', precision: 'f32', fused: ['fc1', 'fc1.bias_add', 'relu1'] });
    expect(doc.layers[0].kernel).toMatch(/^(gemm|gemv|gemmPacked)$/);
  });

  it('inspects a MODEL by building it, with the arena offset of every tensor', async () => {
    const r = await kiln(['inspect', MLP, '--shapes', 'x:2x48', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.build).toMatchObject({ layersBefore: 6, layersAfter: 3 });
    const names = doc.arena.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(['x', 'relu1', 'y']));
    for (const t of doc.arena) expect(t.offset + t.bytes).toBeLessThanOrEqual(doc.memory.arenaBytes);
  });

  it('a damaged plan fails with exit 1 and the reader\'s reason', async () => {
    const bytes = readFileSync(mlpPlan);
    bytes[bytes.length - 10]! ^= 0xff;
    const bad = join(dir, 'bad.plan');
    (await import('node:fs')).writeFileSync(bad, bytes);
    const r = await kiln(['inspect', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^kiln inspect: error: .*checksum/i);
  });
});
