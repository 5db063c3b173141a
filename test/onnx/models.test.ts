// The real models in ../shared/models import, build, run and agree with onnxruntime-node
// (rtol 1e-4, atol 1e-5) on seeded random inputs at batch 1. The engines here are
// static, so the models import with their dims fixed; the symbolic import (batch and
// seq kept) is checked too: its multi-head reshapes type as [seq,4*batch,64].
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { hasCpuKernel } from '../../codegen/index.js';
import { Builder, Logger, Runtime, type Graph } from '../../src/index.js';
import { interpret, mulberry32, randomInt, randomTensor, type Tensor } from '../../src/interpret/index.js';
import { checkOnnx, importOnnx, type ImportOptions } from '../../src/onnx/index.js';

const modelsDir = resolve(import.meta.dirname, '../../../shared/models');
const hasModels = existsSync(modelsDir);
if (!hasModels) console.log('models: ../shared/models is absent; the ONNX model tests are skipped');

const RTOL = 1e-4;
const ATOL = 1e-5;

/**
 * Max abs and rel error; fails naming the first element out of tolerance. atol shrinks
 * with the output's scale: random-weight MobileNetV2 outputs ~1e-9, which a fixed 1e-5
 * would accept whatever kiln computed.
 */
function agree(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): { abs: number; rel: number } {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  const atol = Math.min(ATOL, RTOL * scale);
  let abs = 0;
  let rel = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    abs = Math.max(abs, d);
    rel = Math.max(rel, d / Math.max(Math.abs(expected[i]!), 1e-30));
    if (!(d <= atol + RTOL * Math.abs(expected[i]!))) expect.fail(`${what}: element ${i} is ${actual[i]}, onnxruntime gives ${expected[i]}`);
  }
  return { abs, rel };
}

async function onnxruntime(file: string, name: string, input: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file);
  const type = input.dtype === 'i64' ? 'int64' : 'float32';
  const out = await session.run({ [name]: new ort.Tensor(type, input.data as Float32Array, input.shape) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

async function runKiln(graph: Graph, input: Tensor): Promise<Float32Array> {
  const logger = new Logger('error');
  const builder = new Builder(logger);
  const config = builder.createBuilderConfig();
  const name = graph.inputs[0]!;
  if (graph.types[name]!.shape.some((d) => typeof d === 'string')) {
    const profile = builder.createOptimizationProfile();
    profile.setDimensions(name, input.shape, input.shape, input.shape);
    config.addOptimizationProfile(profile);
  }
  const plan = builder.buildSerializedNetwork(graph, config);
  const context = new Runtime(logger).deserializeEngine(plan).createExecutionContext();
  const out = await context.run({ [name]: { data: input.data, shape: input.shape } });
  return out[graph.outputs[0]!]!.data as Float32Array;
}

const missingKernels = (g: Graph) => [...new Set(g.nodes.map((n) => n.op))].filter((op) => !hasCpuKernel(op)).sort();

interface ModelCase { file: string; input: (rng: () => number) => Tensor; options?: ImportOptions }

const image = (c: number, hw: number) => (rng: () => number) => randomTensor('f32', [1, c, hw, hw], rng, { min: -1, max: 1 });
const CASES: Record<string, ModelCase> = {
  lenet: { file: 'lenet.onnx', input: image(1, 28) },
  squeezenet1_1: { file: 'squeezenet1_1.onnx', input: image(3, 224) },
  mobilenet_v2: { file: 'mobilenet_v2.onnx', input: image(3, 224) },
  encoder: {
    file: 'encoder.onnx',
    input: (rng) => ({ dtype: 'i64', shape: [1, 16], data: BigInt64Array.from({ length: 16 }, () => BigInt(randomInt(rng, 0, 999))) }),
    options: { dims: { batch: 1, seq: 16 } },
  },
};

describe.skipIf(!hasModels)('ONNX models agree with onnxruntime', () => {
  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: imports, builds, runs and matches onnxruntime`, async () => {
      const file = join(modelsDir, c.file);
      const { graph, report } = importOnnx(file, c.options);
      expect(report.unsupported).toEqual([]);
      const input = c.input(mulberry32(1234));
      const expected = await onnxruntime(file, graph.inputs[0]!, input);
      const missing = missingKernels(graph);
      if (missing.length > 0) {
        // No engine yet: the imported graph itself must still compute what onnxruntime does.
        const out = interpret(graph, { [graph.inputs[0]!]: input })[graph.outputs[0]!]!;
        const err = agree(out.data as Float32Array, expected, `${name} (interpreter)`);
        console.log(`models: ${name}: CPU kernels missing for ${missing.join(', ')}; interpreter vs onnxruntime max abs ${err.abs.toExponential(2)}, rel ${err.rel.toExponential(2)}`);
        return;
      }
      const err = agree(await runKiln(graph, input), expected, name);
      console.log(`models: ${name}: kiln vs onnxruntime max abs ${err.abs.toExponential(2)}, max rel ${err.rel.toExponential(2)}`);
    });
  }

  it('encoder with symbolic batch and seq: the multi-head reshapes type as [seq,4*batch,64]', () => {
    const report = checkOnnx(join(modelsDir, 'encoder.onnx'));
    expect(report.unsupported).toEqual([]);
    const { graph } = importOnnx(join(modelsDir, 'encoder.onnx'));
    const heads = graph.nodes.filter((n) => n.op === 'Reshape' && graph.types[n.outputs[0]!]!.shape.join(',') === 'seq,4*batch,64');
    expect(heads.length).toBeGreaterThanOrEqual(3);
  });
});
