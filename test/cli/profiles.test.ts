// Optimization profiles from the command line: --min/--opt/--max-shapes with ranges
// build a dynamic plan (symbolic dims kept), `run --shapes` picks a shape inside the
// profile, and a shape outside it fails with one line naming the bound.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorLine, kiln, MLP, tempDir } from './helpers.js';

const plan = join(tempDir(), 'dyn.plan');

describe('profiles with ranges', () => {
  beforeAll(async () => {
    const r = await kiln(['build', MLP, '--min-shapes', 'x:1x48', '--opt-shapes', 'x:4x48', '--max-shapes', 'x:8x48', '--save-plan', plan]);
    expect(r.code).toBe(0);
  });

  it('keeps the batch dim symbolic in the plan; inspect shows the profile', async () => {
    const r = await kiln(['inspect', plan, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.inputs[0].type).toBe('f32[batch,48]');
    expect(j.profiles).toEqual([{ x: { min: [1, 48], opt: [4, 48], max: [8, 48] } }]);
    const text = await kiln(['inspect', plan]);
    expect(text.stdout).toMatch(/profile 0\n {2}x {2}min \[1,48\] {2}opt \[4,48\] {2}max \[8,48\]/);
  });

  it.each([1, 2, 8])('runs at batch %i inside the profile', async (b) => {
    const r = await kiln(['run', plan, '--shapes', `x:${b}x48`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`output y: f32\\[${b},10\\]`));
  });

  it('bench times a chosen shape of the dynamic plan', async () => {
    const r = await kiln(['bench', plan, '--shapes', 'x:8x48', '--iterations', '20', '--warmup', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inputs: x f32\[8,48\]/);
  });

  it('refuses a shape above the profile, naming the bound', async () => {
    const r = await kiln(['run', plan, '--shapes', 'x:9x48']);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(/input 'x' .*is 9, above the maximum 8 of optimization profile 0/);
  });

  it('compares a ranged build against the interpreter at opt', async () => {
    const r = await kiln(['compare', MLP, '--min-shapes', 'x:1x48', '--opt-shapes', 'x:4x48', '--max-shapes', 'x:8x48', '--atol', '1e-4']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/inputs: x f32\[4,48\]/);
  });
});
