// Einsum: each equation imports to Transpose/Reshape/Reduce/MatMul layers whose result,
// through both the interpreter and a built engine, matches onnxruntime-node. The ONNX
// backend's einsum cases are all float64, which kiln lacks, so f32 twins live here.
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Builder, Logger, Runtime } from '../../src/index.js';
import { interpret, mulberry32, randomTensor, type Tensor } from '../../src/interpret/index.js';
import { checkOnnx, importOnnx } from '../../src/onnx/index.js';
import { DT, io, model, node } from './onnx-builder.js';

const einsumModel = (eq: string, shapes: number[][], outShape: number[]) => model({
  nodes: [node('Einsum', shapes.map((_, i) => `x${i}`), ['y'], { equation: eq }, 'einsum')],
  inputs: shapes.map((s, i) => io(`x${i}`, DT.FLOAT, s)), outputs: [io('y', DT.FLOAT, outShape)], opset: 13,
});

async function runEngine(bytes: Uint8Array, feeds: Record<string, Tensor>): Promise<ArrayLike<number>> {
  const { graph } = importOnnx(bytes, { file: 'einsum.onnx' });
  const logger = new Logger('error');
  const builder = new Builder(logger);
  const plan = builder.buildSerializedNetwork(graph, builder.createBuilderConfig());
  const ctx = new Runtime(logger).deserializeEngine(plan).createExecutionContext();
  const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { data: t.data, shape: t.shape }]));
  return (await ctx.run(inputs)).y!.data as Float32Array;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= 1e-5 + 1e-4 * Math.abs(expected[i]!))) expect.fail(`${what}: element ${i} is ${actual[i]}, onnxruntime gives ${expected[i]}`);
  }
}

const CASES: [string, number[][], number[]][] = [
  ['ij,jk->ik', [[3, 4], [4, 5]], [3, 5]],
  ['bij,bjk->bik', [[2, 3, 4], [2, 4, 5]], [2, 3, 5]],
  ['bhqd,bhkd->bhqk', [[2, 3, 4, 8], [2, 3, 5, 8]], [2, 3, 4, 5]],
  ['i,i->', [[5], [5]], []],
  ['i,i', [[5], [5]], []],
  ['ij->ji', [[3, 4]], [4, 3]],
  ['ij->i', [[3, 4]], [3]],
  ['ij', [[3, 4]], [3, 4]],
  ['ji', [[3, 4]], [4, 3]],
  ['->', [[]], []],
  ['...ij,...jk->...ik', [[2, 3, 4, 5], [2, 3, 5, 6]], [2, 3, 4, 6]],
  ['...ij,...jk->...ik', [[2, 1, 4, 5], [1, 3, 5, 6]], [2, 3, 4, 6]],
  ['ij,kj->ik', [[3, 4], [5, 4]], [3, 5]],
  ['ij,jk', [[3, 4], [4, 5]], [3, 5]],
  ['bij, bjk -> bik', [[5, 2, 3], [5, 3, 4]], [5, 2, 4]],
  ['ijk,jl->li', [[2, 3, 4], [3, 5]], [5, 2]],
  ['i,j->ij', [[3], [4]], [3, 4]],
  ['ij,jk,kl->il', [[2, 3], [3, 4], [4, 5]], [2, 5]],
  ['ab,bc,cd->da', [[2, 3], [3, 4], [4, 2]], [2, 2]],
];

describe('ONNX importers: Einsum', () => {
  for (const [eq, shapes, outShape] of CASES) {
    it(`'${eq}' ${shapes.map((s) => `[${s}]`).join(' ')} matches onnxruntime (interpreter and engine)`, async () => {
      const bytes = einsumModel(eq, shapes, outShape);
      const rng = mulberry32(7);
      const feeds = Object.fromEntries(shapes.map((s, i) => [`x${i}`, randomTensor('f32', s, rng, { min: -1, max: 1 })]));
      const session = await ort.InferenceSession.create(bytes);
      const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.shape)]));
      const expected = (await session.run(ortFeeds)).y!.data as Float32Array;
      const { graph, report } = importOnnx(bytes, { file: 'einsum.onnx' });
      expect(report.unsupported).toEqual([]);
      expect(graph.types[graph.outputs[0]!]!.shape).toEqual(outShape);
      close(interpret(graph, feeds).y!.data as Float32Array, expected, 'interpreter');
      close(await runEngine(bytes, feeds), expected, 'engine');
    });
  }

  it('lowers a matmul-shaped equation to one MatMul with transB, no Transpose', () => {
    const { graph } = importOnnx(einsumModel('ij,kj->ik', [[3, 4], [5, 4]], [3, 5]), { file: 'einsum.onnx' });
    const ops = graph.nodes.map((n) => n.op);
    expect(ops.filter((op) => op !== 'Reshape')).toEqual(['MatMul']);
    expect(graph.nodes.find((n) => n.op === 'MatMul')!.attrs).toMatchObject({ transB: true });
  });

  it('reports a diagonal (repeated letter) as an unsupported attribute value, naming the equation', () => {
    const report = checkOnnx(einsumModel('...ii->...i', [[3, 5, 5]], [3, 5]), { file: 'einsum.onnx' });
    expect(report.unsupported).toHaveLength(1);
    expect(report.unsupported[0]).toMatchObject({ opType: 'Einsum', reason: 'attribute value unsupported', attribute: 'equation', value: "'...ii->...i'" });
  });
});
