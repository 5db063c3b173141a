// Benchmark cases: each builds a kiln engine and an onnxruntime-node session for the
// same architecture and shapes and times them interleaved (kiln, ort, kiln, ort...),
// reporting medians. LeNet: kiln runs SampleMNIST's network (DSL, trained weights),
// ORT runs ../shared/models/lenet.onnx (the same architecture, random weights).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Builder, Logger, Runtime, type WeightTensor } from '../../src/index.js';
import { loadSafetensors } from '../../src/io/index.js';
import { defineMnistNetwork, INPUT } from '../../samples/mnist/network.js';

export interface BenchRow {
  name: string;
  kilnMs: number;
  ortMs: number;
  /** ORT time / kiln time: > 1 means kiln is faster. */
  ratio: number;
  note?: string;
}

export interface BenchCase {
  name: string;
  run(threads: number): Promise<BenchRow>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times two async functions interleaved after a warm-up; returns their medians in ms. */
export async function interleaved(a: () => Promise<unknown>, b: () => Promise<unknown>, budgetMs = 3000): Promise<[number, number]> {
  for (let i = 0; i < 5; i++) { await a(); await b(); }
  const ta: number[] = [];
  const tb: number[] = [];
  const end = performance.now() + budgetMs;
  while (ta.length < 10 || (performance.now() < end && ta.length < 2000)) {
    let s = performance.now(); await a(); ta.push(performance.now() - s);
    s = performance.now(); await b(); tb.push(performance.now() - s);
  }
  return [median(ta), median(tb)];
}

function lenetCase(root: string, batch: number): BenchCase {
  return {
    name: `lenet batch ${batch}`,
    async run(threads) {
      const onnx = join(root, '..', 'shared', 'models', 'lenet.onnx');
      const weights = loadSafetensors(join(root, 'samples', 'mnist', 'lenet-fashion.safetensors')) as unknown as Map<string, WeightTensor>;
      const logger = new Logger('error');
      const builder = new Builder(logger);
      const plan = builder.buildSerializedNetwork(defineMnistNetwork(weights, batch), builder.createBuilderConfig());
      const ctx = new Runtime(logger).deserializeEngine(plan).createExecutionContext({ threads });
      const data = new Float32Array(batch * 784).map((_, i) => (i * 37) % 256);
      const session = await ort.InferenceSession.create(onnx, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
      const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data.map((v) => v / 255), [batch, 1, 28, 28]) };
      const [k, o] = await interleaved(() => ctx.run({ [INPUT]: data }), () => session.run(feeds));
      return { name: this.name, kilnMs: k, ortMs: o, ratio: o / k, note: 'kiln: DSL network with trained weights; ort: lenet.onnx' };
    },
  };
}

export function benchCases(root: string): BenchCase[] {
  if (!existsSync(join(root, '..', 'shared', 'models', 'lenet.onnx'))) {
    console.log('../shared/models is absent: no benchmark cases to run');
    return [];
  }
  return [lenetCase(root, 1), lenetCase(root, 64)];
}
