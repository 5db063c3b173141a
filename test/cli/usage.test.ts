// The CLI's contract with its user before any model is touched: help pages with an
// example, exit codes (0 ok, 1 failure, 2 usage), and one-line errors that say what
// went wrong and what to do, including for features that are not supported yet.
import { describe, expect, it } from 'vitest';
import { MLP, errorLine, kiln } from './helpers.js';

const COMMANDS = ['build', 'run', 'bench', 'inspect', 'compare', 'draw', 'debug', 'surgeon'];

describe.concurrent('kiln usage', () => {
  it('lists every command and exits 0 on --help, 2 with no command', async () => {
    const help = await kiln(['--help']);
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(help.stdout).toContain('exit codes: 0 ok, 1 failure or mismatch, 2 usage error');
    expect((await kiln([])).code).toBe(2);
  });

  it.each(COMMANDS)('kiln %s --help shows usage, options and an example', async (c) => {
    const r = await kiln([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: kiln ${c} `));
    expect(r.stdout).toMatch(/^examples?:\n {2}kiln /m);
    expect(r.stdout).toContain('--help');
  });

  it('prints the version', async () => {
    const r = await kiln(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['biuld', 'x.ts'], /^kiln biuld: unknown command 'biuld' \(did you mean 'build'\?\); run kiln --help/],
    [['build', MLP, '--optlevel', '2'], /unknown option '--optlevel' for 'kiln build' \(did you mean '--opt-level'\?\)/],
    [['build', MLP, '--saveEngine', 'x.plan'], /did you mean '--save-plan'\?/],
    [['build'], /^kiln build: 'kiln build' needs MODEL; e\.g\. kiln build /],
    [['inspect', 'a.plan', 'b.plan'], /takes PLAN\|MODEL, got an extra 'b\.plan'/],
    [['build', MLP, '--opt-level', '7'], /--opt-level must be an integer in 0\.\.5, got '7'/],
    [['build', MLP, '--opt-level'], /option '--opt-level' needs a value \(0-5\)/],
    [['build', MLP, '--shapes', 'x:2by48'], /--shapes: dims of 'x' must be non-negative integers joined by 'x', got '2by48'/],
    [['build', MLP], /input 'x' has dynamic shape f32\[batch,48\]; give its shape, e\.g\. --shapes x:1x48/],
    [['build', MLP, '--shapes', 'y:1x48'], /--shapes names 'y', but the model's inputs are: x/],
    [['build', MLP, '--min-shapes', 'x:8x48', '--opt-shapes', 'x:4x48', '--max-shapes', 'x:8x48'],
      /profile 0: input 'x' needs min <= opt <= max in every dim, got 8x48, 4x48, 8x48/],
    [['build', MLP, '--min-shapes', 'x:1x48'], /profile 0 needs --min-shapes and --max-shapes/],
    [['bench', MLP, '--shapes', 'x:1x48', '--warmup', 'soon'], /--warmup must be a run count \(e\.g\. 50\) or a time/],
    [['run', MLP, '--shapes', 'x:1x48', '--input', 'x'], /--input 'x' is not name=file\.npy/],
    [['build', MLP, '--precision-constraints', 'always'], /--precision-constraints must be none, prefer or obey, got 'always'/],
    [['build', MLP, '--layer-precisions', 'fc1:fp12'], /--layer-precisions: 'fc1:fp12' is not layer:precision/],
    [['build', MLP, '--mem-pool', 'workspace:lots'], /--mem-pool: 'workspace:lots' is not pool:size/],
  ])('usage error %j exits 2 with one line', async (args, message) => {
    const r = await kiln(args);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--mem-pool', 'tacticSharedMem:1M'], /--mem-pool tacticSharedMem is not supported yet \(needs CUDA tactics/],
    [['--calib', MLP], /--calib gives int8 scales, but int8 is not allowed; add --int8/],
    [['--plugin', 'no/such.ts'], /--plugin: cannot read 'no\/such\.ts'; check the path/],
  ])('%j is refused with exit 2 and what to do', async (args, message) => {
    const r = await kiln(['build', MLP, '--shapes', 'x:1x48', ...args]);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(message);
  });

  it('--precision-constraints none is the default and builds', async () => {
    expect((await kiln(['build', MLP, '--shapes', 'x:1x48', '--precision-constraints', 'none'])).code).toBe(0);
  });

  it.each([
    [['debug', 'precision', 'm.onnx'], /kiln debug precision tests one precision: give exactly one of --fp16, --bf16, --int8/],
    [['debug', 'reduce'], /'kiln debug' needs MODEL; e\.g\. kiln debug reduce/],
    [['surgeon', 'm.onnx'], /'kiln surgeon' needs MODEL; e\.g\. kiln surgeon sanitize/],
    [['debug', 'shrink', 'm.onnx'], /unknown debug tool 'shrink'; the tools are precision and reduce/],
  ])('%j exits 2 saying what it needs', async (args, message) => {
    const r = await kiln(args);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(message);
  });

  it('a missing file is a failure (exit 1) with one line naming it', async () => {
    const r = await kiln(['inspect', 'no/such.plan']);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toBe('kiln inspect: error: no such file: no/such.plan; check the path');
  });

  it('a file that is neither plan, ONNX nor DSL is a usage error', async () => {
    const r = await kiln(['inspect', 'package.json']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toMatch(/cannot tell what 'package\.json' is: expected a kiln plan/);
  });
});
