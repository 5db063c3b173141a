// ONNX export: import -> export -> import must give the graph the same meaning. Checked
// by the reference interpreter on both graphs and by onnxruntime on the exported bytes,
// for ../shared/models and every ONNX backend node case kiln imports; plus the layers
// export refuses, and fused layers exported as their primitive ops.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Builder, Logger } from '../../src/index.js';
import { importOnnx } from '../../src/onnx/index.js';
import { exportOnnx, ExportError } from '../../src/onnx/export/index.js';
import { backendRoundTrips, randomFeed, roundTrip, same } from './export-roundtrip.js';
import { backendRoot } from '../conformance/harness.js';
import { mulberry32, randomTensor } from '../../src/interpret/index.js';
import { runOnnxRuntime } from '../../src/cli/onnxruntime.js';

// ../shared beside the checkout (CI puts it there); each test skips with a message without it.
const MODELS = join(import.meta.dirname, '..', '..', '..', 'shared', 'models');
if (!existsSync(MODELS)) console.log(`onnx-export: ${MODELS} is absent; the model round trips are skipped`);
const dims: Record<string, Record<string, number>> = { lenet: { batch: 2 }, squeezenet1_1: { batch: 1 }, mobilenet_v2: { batch: 1 }, encoder: { batch: 2, seq: 5 } };

describe('ONNX export round trip', () => {
  for (const [model, binding] of Object.entries(dims)) {
    const file = `${MODELS}/${model}.onnx`;
    it.skipIf(!existsSync(file))(`${model}: re-imports equal, and onnxruntime gives the original's outputs`, async () => {
      const source = new Uint8Array(readFileSync(file));
      const graph = importOnnx(source, { file, dims: binding }).graph;
      const r = await roundTrip(model, graph, randomFeed(graph), { source });
      expect(r.detail).toBeUndefined();
      expect(r.status).toBe('equal');
    }, 120_000);
  }

  it.skipIf(!existsSync(`${MODELS}/encoder.onnx`))('encoder with symbolic batch and seq: reshapes read dims at run time; onnxruntime agrees', async () => {
    const source = new Uint8Array(readFileSync(`${MODELS}/encoder.onnx`));
    const graph = importOnnx(source, { file: 'encoder' }).graph;
    const bytes = exportOnnx(graph);
    expect(importOnnx(bytes, { file: 'encoder (exported)' }).graph.types.input!.shape).toEqual(['batch', 'seq']);
    for (const [batch, seq] of [[1, 3], [3, 7]]) {
      const feed = { input: randomTensor('i64', [batch!, seq!], mulberry32(batch!), { min: 0, max: 9 }) };
      const [want, got] = [await runOnnxRuntime(source, feed), await runOnnxRuntime(bytes, feed)];
      expect(same(got.output!, want.output!, 1e-5, 1e-4)).toBeUndefined();
    }
  });

  it.skipIf(!existsSync(`${MODELS}/lenet.onnx`))('keeps symbolic dims as dim_param', () => {
    const graph = importOnnx(new Uint8Array(readFileSync(`${MODELS}/lenet.onnx`)), { file: 'lenet' }).graph;
    const again = importOnnx(exportOnnx(graph), { file: 'lenet (exported)' }).graph;
    expect(again.types[again.inputs[0]!]!.shape).toEqual(['batch', 1, 28, 28]);
    expect(again.nodes.map((n) => n.op)).toEqual(graph.nodes.map((n) => n.op));
  });

  it.skipIf(!backendRoot())('every backend node case kiln imports round-trips', async () => {
    const results = await backendRoundTrips('node');
    const tried = results.filter((r) => r.status !== 'skipped');
    expect(tried.length).toBeGreaterThan(800);
    const bad = tried.filter((r) => r.status === 'differs' || r.status === 'refused');
    expect(bad.map((r) => `${r.name}: ${r.detail}`)).toEqual([]);
    // onnxruntime lacks a few kernels (bf16 I/O, batchwise RNNs); those cases were still re-imported equal.
    expect(tried.filter((r) => r.status === 'ortUnsupported').length).toBeLessThan(20);
  }, 600_000);
});

describe('ONNX export of optimized (fused) graphs', () => {
  it('writes Conv+bias+ReLU, Pointwise and Scale layers as primitive ops', async () => {
    const builder = new Builder(new Logger('error'));
    const net = builder.createNetwork({ name: 'fused' });
    const ramp = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 0.3);
    const y = net.input('x', 'f32', [2, 3, 8, 8])
      .conv({ name: 'conv1', outChannels: 4, kernel: [3, 3], weights: ramp(108, 1), bias: ramp(4, 2), padding: [1, 1] })
      .scale({ name: 'bn1', mode: 'channel', scale: ramp(4, 3), shift: ramp(4, 4) })
      .relu('relu1')
      .mul(net.constant('k', new Float32Array([0.5]), [1]))
      .add(net.constant('c', new Float32Array([0.25]), [1]))
      .sigmoid('sig')
      .reshape([2, 256])
      .fullyConnected({ name: 'fc', outputs: 5, weights: ramp(5 * 256, 5), bias: ramp(5, 6) })
      .tanh('act');
    net.markOutput(y, 'y');
    builder.buildSerializedNetwork(net, builder.createBuilderConfig());
    const optimized = builder.lastBuild!.optimized;
    expect(optimized.nodes.length).toBeLessThan(net.graph.nodes.length);
    const r = await roundTrip('fused', optimized, randomFeed(net.graph));
    expect(r.detail).toBeUndefined();
    expect(r.status).toBe('equal');
  }, 60_000);

  it('refuses int8 layers by name', () => {
    const graph = { inputs: ['x'], outputs: ['y'], constants: {}, nodes: [{ name: 'conv1', op: 'QConv', inputs: ['x'], outputs: ['y'], attrs: {} }], types: { x: { dtype: 'f32' as const, shape: [1] }, y: { dtype: 'f32' as const, shape: [1] } } };
    expect(() => exportOnnx(graph)).toThrow(ExportError);
    expect(() => exportOnnx(graph)).toThrow(/layer 'conv1' \(QConv\).*int8.*export the fp32 network/);
  });
});
