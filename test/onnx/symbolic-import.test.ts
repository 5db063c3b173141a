// ONNX import with dynamic dims kept symbolic: shape arithmetic (Shape -> Gather ->
// Concat -> Reshape, ConstantOfShape, Expand) carries dim expressions; the real models
// import with symbolic batch (and seq), validate over the profiles of issue 7, and the
// symbolic graph, run by the interpreter at several sizes, agrees with onnxruntime.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { OptimizationProfile, validateProfile } from '../../src/builder/profile.js';
import { specializeShapes } from '../../src/builder/specialize.js';
import { interpret, mulberry32, randomInt, type Tensor } from '../../src/interpret/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { dimParamSymbol } from '../../src/onnx/import/graph-io.js';
import { DT, int64Tensor, io, model, node } from './onnx-builder.js';

const modelsDir = resolve(import.meta.dirname, '../../../shared/models');
const hasModels = existsSync(modelsDir);

describe('shape arithmetic stays symbolic', () => {
  it('Shape -> Gather -> Mul -> Concat -> Reshape gives a [batch*seq, 8] target', () => {
    const m = model({
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'i0'], ['b'], { axis: 0 }),
        node('Gather', ['s', 'i1'], ['t']),
        node('Mul', ['b', 't'], ['bt']),
        node('Unsqueeze', ['bt', 'ax0'], ['bt1']),
        node('Concat', ['bt1', 'eight'], ['target'], { axis: 0 }),
        node('Reshape', ['x', 'target'], ['y']),
      ],
      inputs: [io('x', DT.FLOAT, ['batch', 'seq', 8])],
      outputs: [io('y', DT.FLOAT, [null, 8])],
      initializers: [int64Tensor('i0', [], [0]), int64Tensor('i1', [], [1]), int64Tensor('ax0', [1], [0]), int64Tensor('eight', [1], [8])],
    });
    const { graph } = importOnnx(m);
    expect(graph.nodes.map((n) => [n.op, n.attrs.shape])).toEqual([['Reshape', ['batch*seq', 8]]]);
    expect(graph.types.y!.shape).toEqual(['batch*seq', 8]);
    const fixed = importOnnx(m, { dims: { batch: 2, seq: 3 } }).graph;
    expect(fixed.types.y!.shape).toEqual([6, 8]);
  });

  it('ConstantOfShape and Expand of a symbolic shape become layers with symbolic targets', () => {
    const m = model({
      nodes: [
        node('Shape', ['x'], ['s']),
        node('ConstantOfShape', ['s'], ['zeros'], { value: { tensor: { data_type: DT.FLOAT, dims: [1], float_data: [0.5] } } }),
        node('Expand', ['row', 's'], ['rows']),
        node('Add', ['zeros', 'rows'], ['y']),
      ],
      inputs: [io('x', DT.FLOAT, ['n', 4])],
      outputs: [io('y', DT.FLOAT, ['n', 4])],
      initializers: [{ name: 'row', data_type: DT.FLOAT, dims: [1, 4], float_data: [1, 2, 3, 4] }],
    });
    const { graph } = importOnnx(m);
    expect(graph.nodes.map((n) => n.op)).toEqual(['ConstantOfShape', 'Expand', 'Add']);
    const out = interpret(graph, { x: { dtype: 'f32', shape: [3, 4], data: new Float32Array(12) } }).y!;
    expect(out.shape).toEqual([3, 4]);
    expect([...out.data]).toEqual([1.5, 2.5, 3.5, 4.5, 1.5, 2.5, 3.5, 4.5, 1.5, 2.5, 3.5, 4.5]);
  });

  it('Range to a symbolic limit and a slice of a table to seq run as layers and agree with onnxruntime', async () => {
    // pos = Range(1, seq+1, 1); rows = table[2:seq+2]; y = x + rows + pos (broadcast over batch).
    const m = model({
      nodes: [
        node('Shape', ['x'], ['s']),
        node('Gather', ['s', 'i1'], ['seq']),
        node('Add', ['seq', 'one'], ['seq1']),
        node('Range', ['one', 'seq1', 'one'], ['pos_i']),
        node('Cast', ['pos_i'], ['pos'], { to: DT.FLOAT }),
        node('Unsqueeze', ['pos', 'ax1'], ['pos2']),
        node('Add', ['seq', 'two'], ['end']),
        node('Unsqueeze', ['end', 'ax0'], ['ends']),
        node('Slice', ['table', 'starts', 'ends', 'ax0'], ['rows']),
        node('Add', ['x', 'rows'], ['xr']),
        node('Add', ['xr', 'pos2'], ['y']),
      ],
      inputs: [io('x', DT.FLOAT, ['batch', 'seq', 3])],
      outputs: [io('y', DT.FLOAT, ['batch', 'seq', 3])],
      initializers: [
        int64Tensor('i1', [], [1]), int64Tensor('one', [], [1]), int64Tensor('two', [], [2]), int64Tensor('ax0', [1], [0]), int64Tensor('ax1', [1], [1]), int64Tensor('starts', [1], [2]),
        { name: 'table', data_type: DT.FLOAT, dims: [12, 3], float_data: Array.from({ length: 36 }, (_, i) => i / 4) },
      ],
    });
    const { graph } = importOnnx(m);
    expect(graph.types.y!.shape).toEqual(['batch', 'seq', 3]);
    expect(graph.nodes.map((n) => n.op)).toEqual(expect.arrayContaining(['ConstantOfShape', 'CumSum', 'Gather']));
    const dir = mkdtempSync(join(tmpdir(), 'kiln-range-'));
    const file = join(dir, 'm.onnx');
    writeFileSync(file, m);
    for (const [batch, seq] of [[1, 4], [2, 7]] as const) {
      const x = { dtype: 'f32' as const, shape: [batch, seq, 3], data: Float32Array.from({ length: batch * seq * 3 }, (_, i) => Math.sin(i)) };
      const got = interpret(graph, { x }).y!;
      expect(got.shape).toEqual([batch, seq, 3]);
      expect(maxRelError(got.data as Float32Array, await onnxruntime(file, 'x', x))).toBeLessThan(1e-6);
    }
  });

  it('Resize to the symbolic size of another tensor (an FPN upsample) runs and agrees with onnxruntime', async () => {
    const m = model({
      nodes: [node('Shape', ['y'], ['s']), node('Resize', ['x', '', '', 's'], ['z'], { mode: 'nearest' }), node('Add', ['z', 'y'], ['out'])],
      inputs: [io('x', DT.FLOAT, [1, 2, 'h', 'w']), io('y', DT.FLOAT, [1, 2, 'H', 'W'])],
      outputs: [io('out', DT.FLOAT, [1, 2, 'H', 'W'])],
    });
    const { graph } = importOnnx(m);
    expect(graph.types.out!.shape).toEqual([1, 2, 'H', 'W']);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-resize-'));
    const file = join(dir, 'm.onnx');
    writeFileSync(file, m);
    const session = await ort.InferenceSession.create(file);
    for (const [h, w, H, W] of [[3, 4, 6, 8], [5, 2, 7, 9]] as const) {
      const x = { dtype: 'f32' as const, shape: [1, 2, h, w], data: Float32Array.from({ length: 2 * h * w }, (_, i) => i) };
      const y = { dtype: 'f32' as const, shape: [1, 2, H, W], data: new Float32Array(2 * H * W) };
      const got = interpret(graph, { x, y }).out!;
      const want = await session.run({ x: new ort.Tensor('float32', x.data, x.shape), y: new ort.Tensor('float32', y.data, y.shape) });
      expect(got.shape).toEqual([1, 2, H, W]);
      expect([...got.data]).toEqual([...(want.out!.data as Float32Array)]);
    }
  });

  it('Einsum over symbolic dims keeps them (attention scores bhqd,bhkd->bhqk) and agrees with onnxruntime', async () => {
    const m = model({
      nodes: [node('Einsum', ['q', 'k'], ['s'], { equation: 'bhqd,bhkd->bhqk' })],
      inputs: [io('q', DT.FLOAT, ['batch', 2, 'seq', 4]), io('k', DT.FLOAT, ['batch', 2, 'seq', 4])],
      outputs: [io('s', DT.FLOAT, ['batch', 2, 'seq', 'seq'])],
    });
    const { graph } = importOnnx(m);
    expect(graph.types.s!.shape).toEqual(['batch', 2, 'seq', 'seq']);
    const dir = mkdtempSync(join(tmpdir(), 'kiln-einsum-'));
    const file = join(dir, 'm.onnx');
    writeFileSync(file, m);
    const [batch, seq] = [3, 5];
    const t = (k: number) => ({ dtype: 'f32' as const, shape: [batch, 2, seq, 4], data: Float32Array.from({ length: batch * 2 * seq * 4 }, (_, i) => Math.cos(i * k)) });
    const [q, k] = [t(1), t(2)];
    const got = interpret(graph, { q, k }).s!;
    const session = await ort.InferenceSession.create(file);
    const want = await session.run({ q: new ort.Tensor('float32', q.data, q.shape), k: new ort.Tensor('float32', k.data, k.shape) });
    expect(got.shape).toEqual([batch, 2, seq, seq]);
    expect(maxRelError(got.data as Float32Array, want.s!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('dim_params become symbols kiln can print and parse', () => {
    expect(dimParamSymbol('batch_size')).toBe('batch_size');
    expect(dimParamSymbol('seq*batch')).toBe('batch*seq');
    expect(dimParamSymbol('batch size')).toBe('batch_size');
    expect(dimParamSymbol('N/A')).toBe('N_A');
    expect(dimParamSymbol('2d')).toBe('d_2d');
    expect(dimParamSymbol('max')).toBe('max_');
    const m = model({ nodes: [node('Relu', ['x'], ['y'])], inputs: [io('x', DT.FLOAT, ['batch size', null])], outputs: [io('y', DT.FLOAT, ['batch size', null])] });
    const r = importOnnx(m);
    expect(r.inputs[0]!.shape).toEqual(['batch_size', 'unk_0']);
    expect(importOnnx(m, { dims: { 'batch size': 2, unk_0: 5 } }).inputs[0]!.shape).toEqual([2, 5]);
  });
});

async function onnxruntime(file: string, name: string, input: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  const type = input.dtype === 'i64' ? 'int64' : 'float32';
  const out = await session.run({ [name]: new ort.Tensor(type, input.data as Float32Array, input.shape) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let err = 0;
  for (let i = 0; i < b.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!) / Math.max(scale, 1e-30));
  return err;
}

describe.skipIf(!hasModels)('real models with symbolic dims', () => {
  it('encoder: symbolic batch and seq, valid over batch 1-8 and seq 16-256, agrees with onnxruntime at two shapes', async () => {
    const file = join(modelsDir, 'encoder.onnx');
    const { graph, inputs } = importOnnx(file);
    expect(inputs.map((i) => i.shape)).toEqual([['batch', 'seq']]);
    expect(graph.types[graph.outputs[0]!]!.shape).toEqual(['batch', 2]);
    const p = new OptimizationProfile().setDimensions('input', [1, 16], [4, 64], [8, 256]);
    expect(validateProfile(graph, p)).toEqual({ min: { batch: 1, seq: 16 }, opt: { batch: 4, seq: 64 }, max: { batch: 8, seq: 256 } });
    const rng = mulberry32(7);
    for (const [batch, seq] of [[1, 16], [2, 24]] as const) {
      const ids: Tensor = { dtype: 'i64', shape: [batch, seq], data: BigInt64Array.from({ length: batch * seq }, () => BigInt(randomInt(rng, 0, 999))) };
      const got = interpret(graph, { input: ids })[graph.outputs[0]!]!;
      expect(got.shape).toEqual([batch, 2]);
      expect(maxRelError(got.data as Float32Array, await onnxruntime(file, 'input', ids))).toBeLessThan(1e-4);
    }
  });

  // (models.test.ts runs this symbolic import at batch 1 against onnxruntime; the interpreter is too slow for more here.)
  it('mobilenet_v2: symbolic batch, valid over batch 1-32, specializes to each bound', () => {
    const file = join(modelsDir, 'mobilenet_v2.onnx');
    const { graph, inputs } = importOnnx(file);
    expect(inputs[0]!.shape).toEqual(['batch', 3, 224, 224]);
    const name = graph.inputs[0]!;
    const b = validateProfile(graph, new OptimizationProfile().setDimensions(name, [1, 3, 224, 224], [8, 3, 224, 224], [32, 3, 224, 224]));
    expect(b).toEqual({ min: { batch: 1 }, opt: { batch: 8 }, max: { batch: 32 } });
    expect(specializeShapes(graph, b.max).types[graph.outputs[0]!]!.shape).toEqual([32, 1000]);
    const wrong = new OptimizationProfile().setDimensions(name, [1, 3, 224, 224], [8, 3, 224, 224], [32, 3, 225, 224]);
    expect(() => validateProfile(graph, wrong)).toThrow(`optimization profile 0: input '${name}' dim 2 is fixed at 224, the profile sets max 225`);
  });
});
