// Custom passes through the Builder: BuilderConfig.addPass places a pass by name, the
// build runs it (and reports it), and the plan's build digest tells the builds apart.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Builder, Logger, Runtime } from '../../src/index.js';
import { interpret } from '../../src/interpret/index.js';
import { ARB_OPS, compareOutputs, networkArbitrary } from '../../passes/testing/index.js';
import { Network } from '../../dsl/index.js';
import { definePass } from '../../passes/index.js';
import { weights } from './helpers.js';

function lenetish(): Network {
  const net = new Network();
  const y = net.input('x', 'f32', [1, 1, 8, 8])
    .scale({ mode: 'uniform', scale: [1 / 255] })
    .conv({ name: 'conv1', outChannels: 2, kernel: [3, 3], weights: weights(18), bias: weights(2, 2) })
    .relu('relu1');
  net.markOutput(y.fullyConnected({ name: 'fc1', outputs: 3, weights: weights(3 * 72, 3), bias: weights(3, 4) }), 'y');
  return net;
}

describe('custom passes in a build', () => {
  it('runs a pass added before FuseEpilogues and reports it', () => {
    const seen: string[][] = [];
    const Spy = definePass({ name: 'SpyLayers', run: (g) => (seen.push(g.nodes.map((n) => n.op)), g) });
    const builder = new Builder(new Logger('error'));
    const config = builder.createBuilderConfig().addPass(Spy, { before: 'FuseEpilogues' });
    builder.buildSerializedNetwork(lenetish(), config);
    // By then the input scale is folded into conv1; the relu and bias are not fused yet.
    expect(seen).toEqual([['Conv', 'Relu', 'Reshape', 'MatMul', 'Add']]);
    expect(builder.lastBuild!.passes.map((p) => p.pass)).toContain('SpyLayers');
    expect(builder.lastBuild!.optimized.nodes.map((n) => n.name)).toEqual(['scale_1 + conv1 + relu1', 'fc1.flatten', 'fc1 + bias']);
    const plain = builder.createBuilderConfig();
    expect(Buffer.from(config.digest()).equals(Buffer.from(plain.digest()))).toBe(false);
  });
});

describe('every pass, built and run by the native engine', () => {
  it('at level 5 (FuseSiblings and its Split included) the engine equals the interpreter on random networks', async () => {
    await fc.assert(fc.asyncProperty(networkArbitrary({ ops: ARB_OPS }), async (net) => {
      const builder = new Builder(new Logger('error'));
      const plan = builder.buildSerializedNetwork(net.graph, builder.createBuilderConfig().setOptLevel(5));
      const ctx = new Runtime(new Logger('error')).deserializeEngine(plan).createExecutionContext();
      const out = await ctx.run(Object.fromEntries(Object.entries(net.inputs).map(([k, t]) => [k, { data: t.data, shape: t.shape }])));
      const actual = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]));
      const diff = compareOutputs(interpret(net.graph, net.inputs), actual);
      if (diff) throw new Error(`engine differs from the interpreter: ${diff}`);
    }), { numRuns: Number(process.env.KILN_PROPERTY_RUNS ?? 100), includeErrorInReport: true });
  });
});
