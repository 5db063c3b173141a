// The dynamic-shapes sample's steps, shared by main.ts and its test: import an ONNX
// model with its symbolic dims kept, build one engine for a range of shapes
// (an optimization profile with min / opt / max), then run a mix of shapes through
// one execution context, checking each output against onnxruntime-node.
import { Builder, Logger, Runtime, type Engine } from '../../src/index.js';
import { mulberry32, randomTensor, type Tensor } from '../../src/interpret/index.js';
import { importOnnx } from '../../src/onnx/index.js';

export interface ModelCase {
  /** File name in the models folder. */
  file: string;
  /** The input's min / opt / max shapes. */
  profile: [number[], number[], number[]];
  /** Shapes to run, in order (one context, no rebuild). */
  shapes: number[][];
}

export const CASES: Readonly<Record<string, ModelCase>> = {
  encoder: { file: 'encoder.onnx', profile: [[1, 16], [4, 64], [8, 256]], shapes: [[1, 16], [4, 64], [8, 256], [2, 33], [1, 200], [4, 64]] },
  mobilenet_v2: { file: 'mobilenet_v2.onnx', profile: [[1, 3, 224, 224], [4, 3, 224, 224], [32, 3, 224, 224]], shapes: [[1, 3, 224, 224], [3, 3, 224, 224], [32, 3, 224, 224], [1, 3, 224, 224]] },
};

export interface ShapeResult {
  shape: number[];
  outputShape: number[];
  maxAbsDiff: number;
  /** maxAbsDiff over the largest |onnxruntime output| (the seeded models' outputs are tiny, ~1e-9 for MobileNetV2). */
  relDiff: number;
  kilnMs: number;
  ortMs: number;
}

interface OrtTensor { dims: readonly number[]; data: unknown }
interface OrtSession { run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void> }
export interface Ort {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(model: string, options?: Record<string, unknown>): Promise<OrtSession> };
}

/** onnxruntime-node, or undefined when it is not installed. */
export async function loadOrt(): Promise<Ort | undefined> {
  const name = 'onnxruntime-node';
  try {
    return (await import(name)) as Ort;
  } catch {
    return undefined;
  }
}

/** Builds the model for its profile; the engine keeps `batch` (and `seq`) symbolic. */
export function buildDynamic(path: string, c: ModelCase, logger = new Logger('warning')): { engine: Engine; buildMs: number; input: string; output: string } {
  const { graph } = importOnnx(path);
  const input = graph.inputs[0]!;
  const builder = new Builder(logger);
  const config = builder.createBuilderConfig();
  config.addOptimizationProfile(builder.createOptimizationProfile().setDimensions(input, ...c.profile));
  const t0 = performance.now();
  const plan = builder.buildSerializedNetwork(graph, config);
  const buildMs = performance.now() - t0;
  return { engine: new Runtime(logger).deserializeEngine(plan), buildMs, input, output: graph.outputs[0]! };
}

/** A seeded input of `shape`: token ids for the encoder, values in [-1, 1] for images. */
export function sampleInput(engine: Engine, shape: number[], seed: number): Tensor {
  const dtype = engine.inputs[0]!.dtype;
  return randomTensor(dtype, shape, mulberry32(seed), dtype === 'i64' ? { min: 0, max: 999 } : { min: -1, max: 1 });
}

/** Runs every shape of the case through one context and onnxruntime; returns the differences. */
export async function runMix(path: string, c: ModelCase, ort: Ort, built = buildDynamic(path, c)): Promise<ShapeResult[]> {
  const { engine, input, output } = built;
  const context = engine.createExecutionContext();
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 0 });
  const results: ShapeResult[] = [];
  try {
    for (const [i, shape] of c.shapes.entries()) {
      const x = sampleInput(engine, shape, 100 + i);
      context.setInputShape(input, shape);
      const t0 = performance.now();
      const out = (await context.run({ [input]: x.data }))[output]!;
      const kilnMs = performance.now() - t0;
      const t1 = performance.now();
      const ref = (await session.run({ [input]: new ort.Tensor(x.dtype === 'i64' ? 'int64' : 'float32', x.data, shape) }))[output]!;
      const ortMs = performance.now() - t1;
      if (out.shape.join() !== ref.dims.join()) throw new Error(`${c.file} at ${JSON.stringify(shape)}: kiln output shape [${out.shape}], onnxruntime [${ref.dims}]`);
      const a = out.data as Float32Array;
      const b = ref.data as Float32Array;
      let maxAbsDiff = 0;
      let scale = 0;
      for (let k = 0; k < b.length; k++) {
        maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[k]! - b[k]!));
        scale = Math.max(scale, Math.abs(b[k]!));
      }
      results.push({ shape, outputShape: out.shape, maxAbsDiff, relDiff: scale > 0 ? maxAbsDiff / scale : maxAbsDiff, kilnMs, ortMs });
    }
  } finally {
    await session.release();
  }
  return results;
}
