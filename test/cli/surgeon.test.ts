// kiln surgeon as a process: sanitize folds and drops what the importer and passes can,
// extract cuts a subgraph between named tensors; both write ONNX that kiln and
// onnxruntime read back, and bad requests fail with one line and exit 2.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/onnx/index.js';
import { interpret, mulberry32, randomTensor } from '../../src/interpret/index.js';
import { runOnnxRuntime } from '../../src/cli/onnxruntime.js';
import { errorLine, kiln, MLP, tempDir } from './helpers.js';
import { same } from './export-roundtrip.js';

const LENET = join(import.meta.dirname, '..', '..', '..', 'shared', 'models', 'lenet.onnx');
if (!existsSync(LENET)) console.log(`${LENET} is absent; these kiln commands are not run on it`);
const has = existsSync(LENET);

describe.skipIf(!has)('kiln surgeon sanitize', () => {
  it('writes a model with fixed shapes that onnxruntime runs like the original', async () => {
    const out = join(tempDir(), 'clean.onnx');
    const r = await kiln(['surgeon', 'sanitize', LENET, '--shapes', 'input:2x1x28x28', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sanitized .*lenet\.onnx: \d+ ONNX nodes .* -> \d+ layers/);
    expect(r.stdout).toContain('input   input: f32[2,1,28,28]');
    const g = importOnnx(out).graph;
    expect(g.types[g.inputs[0]!]!.shape).toEqual([2, 1, 28, 28]);
    const feed = { input: randomTensor('f32', [2, 1, 28, 28], mulberry32(3), { min: 0, max: 1 }) };
    const [want, got] = [await runOnnxRuntime(LENET, feed), await runOnnxRuntime(out, feed)];
    const name = Object.keys(want)[0]!;
    expect(same(got[name]!, want[name]!, 1e-5, 1e-4)).toBeUndefined();
  });

  it('exports a DSL network as ONNX', async () => {
    const out = join(tempDir(), 'mlp.onnx');
    const r = await kiln(['surgeon', 'sanitize', MLP, '-o', out]);
    expect(r.code).toBe(0);
    const g = importOnnx(out).graph;
    expect(g.inputs).toEqual(['x']);
    expect(g.types.x!.shape).toEqual(['batch', 48]);
    expect(g.nodes.map((n) => n.op)).toContain('Softmax');
  });
});

describe.skipIf(!has)('kiln surgeon extract', () => {
  it('cuts the layers between two named tensors, with the inferred input type', async () => {
    const full = importOnnx(LENET, { dims: { batch: 1 } }).graph;
    // The tensor after the first conv block, and the one before the classifier.
    const from = full.nodes[1]!.outputs[0]!;
    const to = full.nodes[full.nodes.length - 2]!.outputs[0]!;
    const out = join(tempDir(), 'mid.onnx');
    const r = await kiln(['surgeon', 'extract', LENET, '--shapes', 'input:1x1x28x28', '--inputs', from, '--outputs', to, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const g = importOnnx(out).graph;
    expect(g.inputs).toEqual([from]);
    expect(g.outputs).toEqual([to]);
    expect(g.types[from]).toEqual(full.types[from]);
    expect(g.nodes.length).toBe(full.nodes.length - 3);
    // The piece computes what the full model computes there.
    const feed = { input: randomTensor('f32', [1, 1, 28, 28], mulberry32(5), { min: 0, max: 1 }) };
    const all = interpret(full, feed, { keep: 'all' });
    const piece = interpret(g, { [from]: all[from]! });
    expect(same(piece[to]!, all[to]!, 0, 0)).toBeUndefined();
  });

  it('refuses a tensor that does not exist, and outputs that need an input not named', async () => {
    const out = join(tempDir(), 'x.onnx');
    const missing = await kiln(['surgeon', 'extract', LENET, '--inputs', 'nope', '--outputs', 'output', '-o', out]);
    expect(missing.code).toBe(2);
    expect(errorLine(missing)).toMatch(/--inputs names 'nope', which is no tensor of the model/);
    const full = importOnnx(LENET).graph;
    const mid = full.nodes[3]!.outputs[0]!;
    // Cutting at a mid tensor but asking for an output above it needs the model input too.
    const needs = await kiln(['surgeon', 'extract', LENET, '--inputs', mid, '--outputs', full.nodes[1]!.outputs[0]!, '-o', out]);
    expect(needs.code).toBe(2);
    expect(errorLine(needs)).toMatch(/depend on model input 'input'.*add it: --inputs .*,input/);
  });

  it('needs -o, a known tool, and a model rather than a plan', async () => {
    const noOut = await kiln(['surgeon', 'sanitize', LENET]);
    expect(noOut.code).toBe(2);
    expect(errorLine(noOut)).toMatch(/needs -o FILE.*e\.g\. kiln surgeon sanitize/);
    const tool = await kiln(['surgeon', 'insert', LENET, '-o', 'x.onnx']);
    expect(tool.code).toBe(2);
    expect(errorLine(tool)).toMatch(/unknown surgeon tool 'insert'; the tools are sanitize and extract/);
    const noInputs = await kiln(['surgeon', 'extract', LENET, '--outputs', 'output', '-o', 'x.onnx']);
    expect(errorLine(noInputs)).toMatch(/--inputs needs tensor names/);
  });
});
