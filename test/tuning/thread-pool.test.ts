// The thread pool's job protocol under oversubscription: many short parallel jobs in a
// row (a network of small layers run repeatedly on more threads than cores), with
// alternating inputs, so an item lost or run against the wrong job shows up as a
// stale or wrong output.
import { describe, expect, it } from 'vitest';
import { Builder, Logger, Runtime } from '../../src/index.js';
import { Network } from '../../dsl/index.js';
import { shapeRng } from './harness.js';

describe('thread pool', () => {
  it('gives the same outputs over hundreds of runs of short parallel layers on 5 threads', async () => {
    const R = shapeRng(3);
    const net = new Network();
    let t = net.input('x', 'f32', [2, 8, 12, 12]);
    for (let i = 0; i < 6; i++) {
      t = t.conv({ outChannels: 8, kernel: [3, 3], padding: [1, 1], groups: i % 2 ? 8 : 1, weights: R.floats(i % 2 ? 72 : 576), bias: R.floats(8) }).relu();
    }
    net.markOutput(t.maxPool({ kernel: [2, 2] }), 'y');
    const builder = new Builder(new Logger('error'));
    const ctx = new Runtime(new Logger('error')).deserializeEngine(builder.buildSerializedNetwork(net, builder.createBuilderConfig())).createExecutionContext({ threads: 5 });
    const inputs = [R.floats(2 * 8 * 144), R.floats(2 * 8 * 144)];
    const first = [(await ctx.run({ x: inputs[0]! })).y!.data, (await ctx.run({ x: inputs[1]! })).y!.data];
    expect(first[0]).not.toEqual(first[1]);
    for (let i = 0; i < 300; i++) {
      const out = (await ctx.run({ x: inputs[i % 2]! })).y!.data;
      expect(out).toEqual(first[i % 2]);
    }
  });
});

describe('thread pool between runs', () => {
  it('lets its workers sleep once a run has settled: no CPU time while the context is idle', async () => {
    const R = shapeRng(5);
    const net = new Network();
    let t = net.input('x', 'f32', [1, 16, 24, 24]);
    for (let i = 0; i < 4; i++) t = t.conv({ outChannels: 16, kernel: [3, 3], padding: [1, 1], weights: R.floats(16 * 16 * 9), bias: R.floats(16) }).relu();
    net.markOutput(t, 'y');
    const builder = new Builder(new Logger('error'));
    const ctx = new Runtime(new Logger('error')).deserializeEngine(builder.buildSerializedNetwork(net, builder.createBuilderConfig())).createExecutionContext({ threads: 4 });
    const x = R.floats(16 * 24 * 24);
    for (let i = 0; i < 5; i++) await ctx.run({ x });
    await new Promise((r) => setTimeout(r, 20)); // past the pool's 50 us spin
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 300));
    const used = process.cpuUsage(before);
    // Three workers spinning through the wait would burn up to 900 ms.
    expect((used.user + used.system) / 1000).toBeLessThan(60);
  });
});
