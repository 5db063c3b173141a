// FoldQdq, Input vs Expected: DQ -> Conv -> Relu -> Q chains become QConv layers that
// read and write i8 with the given scales, a fully connected MatMul becomes QGemm
// writing f32, a bias given as DQ(i32) becomes f32, a redundant Q(DQ(q)) pair becomes
// q, and patterns outside symmetric int8 (a non-zero zero point) stay as written.
// The folded graph then runs on the engine against the interpreter, and against the
// interpreter on the QDQ graph as written (fp32 arithmetic on dequantized values).
// Last, a QDQ ONNX LeNet (kiln's scales, written by test/bench/qdq-model.ts) imports
// with its convs and fc layers folded and agrees with onnxruntime on the same file.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ArrayCalibrator, Builder, Logger } from '../../src/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { writeQdqModel } from '../bench/qdq-model.js';
import { interpret, mulberry32, randomInt, randomTensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { EliminateDeadLayers } from '../../passes/eliminate-dead-layers.js';
import { foldQdq } from '../../passes/fold-qdq.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, expectClose, runPlan } from '../engine/helpers.js';

const f32 = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
const scalar = (d: GraphDraft, name: string, v: number) => d.constant(name, 'f32', [1], Float32Array.of(v));
const ctx = { logger: () => {}, options: {} };
const tidy = (g: Graph) => EliminateDeadLayers.run(foldQdq(g), ctx);

/** Q then DQ of x at one scale: the QDQ format's fake quantization of an activation. */
function qdq(d: GraphDraft, x: string, name: string, s: number): { q: string; dq: string } {
  const q = d.node('QuantizeLinear', `${name}.q`, [x, scalar(d, `${name}.qs`, s)], {});
  return { q, dq: d.node('DequantizeLinear', `${name}.dq`, [q, scalar(d, `${name}.dqs`, s)], {}) };
}

/** DQ of constant 7-bit codes with per-channel scales along axis 0. */
function weights(d: GraphDraft, rng: Rng, name: string, shape: number[]): string {
  const codes = Int8Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => randomInt(rng, -63, 63));
  const wq = d.constant(`${name}.wq`, 'i8', shape, codes);
  return d.node('DequantizeLinear', `${name}.wdq`, [wq, d.constant(`${name}.ws`, 'f32', [shape[0]!], f32(rng, shape[0]!, 0.002, 0.01))], { axis: 0 });
}

/** x -> QDQ -> conv1 (+relu) -> QDQ -> conv2 -> QDQ -> GAP-free flatten -> fc: the shape of a QDQ ResNet stem. */
function qdqNetwork(rng: Rng): Graph {
  const d = new GraphDraft();
  const x = d.input('x', { dtype: 'f32', shape: [2, 3, 6, 6] });
  const pad = { padsBegin: [1, 1], padsEnd: [1, 1] };
  const a = qdq(d, x, 'in', 0.02);
  const biasCodes = d.constant('c1.bq', 'i32', [4], Int32Array.from([100, -50, 0, 7]));
  const bias = d.node('DequantizeLinear', 'c1.bdq', [biasCodes, d.constant('c1.bs', 'f32', [4], f32(rng, 4, 0.0001, 0.001))], { axis: 0 });
  const c1 = d.node('Conv', 'c1', [a.dq, weights(d, rng, 'c1', [4, 3, 3, 3]), bias], pad);
  const r1 = d.node('Relu', 'relu1', [c1], {});
  const b = qdq(d, r1, 'r1', 0.01);
  const c2 = d.node('Conv', 'c2', [b.dq, weights(d, rng, 'c2', [5, 4, 3, 3]), d.constant('c2.b', 'f32', [5], f32(rng, 5, -0.1, 0.1))], pad);
  const c = qdq(d, c2, 'c2o', 0.01);
  const flat = d.node('Reshape', 'flatten', [c.dq], { shape: [2, 180] });
  const e = qdq(d, flat, 'flat', 0.01);
  d.outputs.push(d.node('MatMul', 'fc', [e.dq, weights(d, rng, 'fc', [3, 180])], { transB: true }));
  return d.graph();
}

describe('FoldQdq', () => {
  it('folds DQ -> Conv -> Relu -> Q into QConv, MatMul into QGemm, and removes redundant pairs', async () => {
    const g = qdqNetwork(mulberry32(3));
    const folded = tidy(g);
    expect(folded.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QConv', 'QConv', 'DequantizeLinear', 'Reshape', 'QuantizeLinear', 'QGemm']);
    const [, q1, q2, , , , fc] = folded.nodes;
    expect(q1!.attrs).toMatchObject({ xScale: Math.fround(0.02), outScale: Math.fround(0.01), activation: 'relu' });
    expect(q1!.fused).toEqual(['c1', 'relu1', 'r1.q']);
    expect(q2!.inputs[0]).toBe(q1!.outputs[0]);
    expect(q2!.attrs).toMatchObject({ outScale: Math.fround(0.01), activation: 'none' });
    expect(folded.types[q2!.outputs[0]!]!.dtype).toBe('i8');
    expect(fc!.attrs.outScale).toBe(0);
    expect(folded.types[fc!.outputs[0]!]!.dtype).toBe('f32');
    // The i32 bias codes times their scales, as f32.
    const bs = g.constants['c1.bs']!.data as Float32Array;
    expect(Array.from(folded.constants[q1!.inputs[3]!]!.data as Float32Array)).toEqual([100, -50, 0, 7].map((q, c) => Math.fround(q * bs[c]!)));

    const rng = mulberry32(4);
    const inputs: Record<string, Tensor> = { x: randomTensor('f32', [2, 3, 6, 6], rng, { min: -2, max: 2 }) };
    const exact = interpret(folded, inputs).fc!;
    expectClose((await runPlan(buildPlan(folded, 0), inputs)).fc!, exact, 'engine vs interpreter on the folded graph', 1e-5, 1e-5);
    // The whole path: the QDQ graph as given, built at the default level (FoldQdq runs in the pipeline).
    expectClose((await runPlan(buildPlan(g, 3), inputs)).fc!, exact, 'engine on the QDQ graph', 1e-5, 1e-5);
    // Against fp32 arithmetic on dequantized values: equal up to a code of rounding here and there.
    const asWritten = interpret(g, inputs).fc!;
    const scale = Math.max(...Array.from(asWritten.data as Float32Array, Math.abs));
    expectClose(exact, asWritten, 'folded vs as written', 0, 0.05 * scale);
  });

  it('turns Q(DQ(q)) of one scale into q', async () => {
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [2, 8] });
    const a = qdq(d, x, 'a', 0.05);
    const b = qdq(d, a.dq, 'b', 0.05);
    d.outputs.push(d.node('Relu', 'relu', [b.dq], {}));
    const g = d.graph();
    const folded = tidy(g);
    expect(folded.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'DequantizeLinear', 'Relu']);
    expect(folded.nodes[2]!.inputs).toEqual([b.dq]);
    const inputs = { x: randomTensor('f32', [2, 8], mulberry32(6), { min: -9, max: 9 }) };
    expectClose(interpret(folded, inputs).relu!, interpret(g, inputs).relu!, 'pair removed', 0, 0);
  });

  it('leaves a non-zero zero point and a lone DQ -> Q of another scale as written', () => {
    const rng = mulberry32(5);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [1, 2, 4, 4] });
    const q = d.node('QuantizeLinear', 'q', [x, scalar(d, 's', 0.1), d.constant('zp', 'i8', [1], Int8Array.of(3))], {});
    const dq = d.node('DequantizeLinear', 'dq', [q, scalar(d, 's2', 0.1), d.constant('zp2', 'i8', [1], Int8Array.of(3))], {});
    const conv = d.node('Conv', 'c', [dq, weights(d, rng, 'c', [2, 2, 1, 1])], {});
    const q2 = d.node('QuantizeLinear', 'q2', [conv, scalar(d, 's3', 0.1)], {});
    const dq2 = d.node('DequantizeLinear', 'dq2', [q2, scalar(d, 's4', 0.1)], {});
    d.outputs.push(d.node('QuantizeLinear', 'q3', [dq2, scalar(d, 's5', 0.2)], {}));
    const g = d.graph();
    expect(foldQdq(g)).toBe(g);
  });

  it('imports a QDQ ONNX LeNet into int8 layers that agree with onnxruntime', async () => {
    const file = join(import.meta.dirname, '..', '..', '..', 'shared', 'models', 'lenet.onnx');
    const { graph } = importOnnx(file, { dims: { batch: 1 } });
    const rng = mulberry32(11);
    const batches = Array.from({ length: 4 }, () => ({ input: randomTensor('f32', [1, 1, 28, 28], rng, { min: 0, max: 1 }) }));
    const calibrator = new ArrayCalibrator(batches, 'minmax');
    const builder = new Builder(new Logger('error'));
    const config = builder.createBuilderConfig().setFlag('int8');
    config.calibrator = calibrator;
    builder.buildSerializedNetwork(graph, config);
    const qdqFile = join(mkdtempSync(join(tmpdir(), 'kiln-qdq-')), 'lenet.qdq.onnx');
    writeQdqModel(file, calibrator.cache!, qdqFile);
    const qdq = importOnnx(qdqFile, { dims: { batch: 1 } }).graph;
    const plan = builder.buildSerializedNetwork(qdq, builder.createBuilderConfig());
    expect(builder.lastBuild!.optimized.nodes.filter((n) => n.op === 'QConv' || n.op === 'QGemm').length).toBe(4);
    const x = randomTensor('f32', [1, 1, 28, 28], rng, { min: 0, max: 1 });
    const ours = (await runPlan(plan, { input: x })).output!.data as Float32Array;
    const session = await ort.InferenceSession.create(qdqFile);
    const theirs = (await session.run({ input: new ort.Tensor('float32', x.data as Float32Array, [1, 1, 28, 28]) }))[session.outputNames[0]!]!.data as Float32Array;
    // Softmax probabilities: the runtimes may round a requantized code differently here and there.
    expect(ours.indexOf(Math.max(...ours))).toBe(theirs.indexOf(Math.max(...theirs)));
    for (let i = 0; i < 10; i++) expect(Math.abs(ours[i]! - theirs[i]!), `class ${i}`).toBeLessThan(0.02);
  });
});
