// kiln run: .npy inputs in, .npy outputs out (a round trip NumPy could make), seeded
// random inputs that repeat, and input errors that name the input and the file.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { interpret } from '../../src/interpret/index.js';
import { loadNpy, saveNpy } from '../../src/io/index.js';
import { MLP, MNIST, errorLine, kiln, tempDir } from './helpers.js';
import mlp from './fixtures/mlp.js';
import { Builder } from '../../src/index.js';

const dir = tempDir();
const plan = join(dir, 'mlp.plan');

describe.concurrent('kiln run', () => {
  beforeAll(async () => {
    const r = await kiln(['build', MLP, '--shapes', 'x:3x48', '--save-plan', plan]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('reads inputs from .npy and writes outputs as .npy that match the interpreter', async () => {
    const x = Float32Array.from({ length: 3 * 48 }, (_, i) => Math.sin(i) * 2);
    const input = join(dir, 'x.npy');
    saveNpy(input, { dtype: 'f32', shape: [3, 48], data: x });
    const out = join(dir, 'out-npy');
    const r = await kiln(['run', plan, '--input', `x=${input}`, '--output-dir', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`input  x: f32[3,48] from ${input}`);
    expect(r.stdout).toMatch(/^output y: f32\[3,10\] \[[-\d.e, ]+\.\.\.\] {2}min [\d.e-]+ {2}max [\d.e-]+ {2}mean [\d.e-]+$/m);
    expect(readdirSync(out)).toEqual(['y.npy']);
    const y = loadNpy(join(out, 'y.npy'));
    expect(y.dtype).toBe('f32');
    expect(y.shape).toEqual([3, 10]);
    const expected = interpret(mlp(new Builder()).graph, { x: { dtype: 'f32', shape: [3, 48], data: x } }).y!;
    const got = y.data as Float32Array;
    (expected.data as Float32Array).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    // The first values printed are the file's.
    expect(r.stdout).toContain(`[${Number(got[0]!.toPrecision(5))}`);
  });

  it('an output fed back through .npy gives the same result (MODEL and PLAN agree)', async () => {
    const a = join(dir, 'seed-a');
    const b = join(dir, 'seed-b');
    const c = join(dir, 'seed-c');
    const [ra, rb, rc] = await Promise.all([
      kiln(['run', plan, '--seed', '5', '--output-dir', a]),
      kiln(['run', MLP, '--shapes', 'x:3x48', '--seed', '5', '--output-dir', b]),
      kiln(['run', plan, '--seed', '6', '--output-dir', c]),
    ]);
    for (const r of [ra, rb, rc]) expect(r.code, r.stderr).toBe(0);
    expect(ra.stdout).toContain('from random (seed 5)');
    const ya = loadNpy(join(a, 'y.npy')).data as Float32Array;
    expect(loadNpy(join(b, 'y.npy')).data).toEqual(ya);
    expect(loadNpy(join(c, 'y.npy')).data).not.toEqual(ya);
  });

  it('narrows a float64 .npy (NumPy\'s default) for an f32 input', async () => {
    const input = join(dir, 'x64.npy');
    saveNpy(input, { dtype: 'f64', shape: [3, 48], data: new Float64Array(3 * 48).fill(0.5) });
    const r = await kiln(['run', plan, '--input', `x=${input}`]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('rejects inputs of the wrong shape or dtype, or for unknown names, in one line', async () => {
    const wrongShape = join(dir, 'wrong-shape.npy');
    saveNpy(wrongShape, { dtype: 'f32', shape: [2, 48], data: new Float32Array(96) });
    const wrongType = join(dir, 'wrong-type.npy');
    saveNpy(wrongType, { dtype: 'i32', shape: [3, 48], data: new Int32Array(144) });
    const [s, t, u] = await Promise.all([
      kiln(['run', plan, '--input', `x=${wrongShape}`]),
      kiln(['run', plan, '--input', `x=${wrongType}`]),
      kiln(['run', plan, '--input', `z=${wrongType}`]),
    ]);
    expect(s.code).toBe(1);
    expect(errorLine(s)).toMatch(/input 'x': .*wrong-shape\.npy holds f32\[2,48\], the engine expects f32\[3,48\]/);
    expect(t.code).toBe(1);
    expect(errorLine(t)).toMatch(/holds i32\[3,48\], the engine expects f32\[3,48\]; save it as that dtype/);
    expect(u.code).toBe(2);
    expect(errorLine(u)).toMatch(/--input names 'z', but the inputs are: x/);
  });

  it('a PLAN refuses build flags, which only apply when building', async () => {
    const r = await kiln(['run', plan, '--opt-level', '1']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/--opt-level applies when building a MODEL, but '.*mlp\.plan' is a plan that is already built/);
  });

  it('runs SampleMNIST from its DSL module', async () => {
    const r = await kiln(['run', MNIST]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^output prob: f32\[1,10\] /m);
    const sum = /mean ([\d.e-]+)/.exec(r.stdout)!;
    expect(Number(sum[1]) * 10).toBeCloseTo(1, 4);
  });
});
