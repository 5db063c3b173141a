// With KILN_RUN_INLINE_US set (this file sets 1000; by default only runs under
// 250 us stay on the JS thread, whole) runs after a shape set's first one execute
// on the JS thread in slices between which the event loop turns
// (native/binding-run.cc); the first run, and runs that begin while another is in
// flight, go to a libuv worker. Whichever path a run takes, the contract is the
// same and is what these tests hold: outputs equal the interpreter's, inputs are
// copied before run() returns, the context is busy until the promise settles, the
// event loop keeps turning, and a new shape set re-runs on the right layers.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { Builder, KilnError, Logger, Runtime, type ExecutionContext } from '../../src/index.js';
import { interpret, mulberry32, randomTensor } from '../../src/interpret/index.js';
import { expectClose } from './plan-fixtures.js';

process.env.KILN_RUN_INLINE_US = '1000';  // read by the addon at every run

const quiet = new Logger('error');
const r = mulberry32(11);
const weights = (n: number) => Float32Array.from({ length: n }, () => (r() - 0.5) / 8);

/** x[batch,128] through `layers` fully connected layers of 128 with tanh: many short layers. */
function chain(layers: number, batch: number | string): Network {
  const net = new Network({ name: 'chain' });
  let t = net.input('x', 'f32', [batch, 128]);
  for (let i = 0; i < layers; i++) t = t.fullyConnected({ outputs: 128, weights: weights(128 * 128), bias: weights(128) }).tanh();
  net.markOutput(t, 'y');
  return net;
}

function contextOf(net: Network, profile?: [number[], number[], number[]]): ExecutionContext {
  const b = new Builder(quiet);
  const config = b.createBuilderConfig().setOptLevel(0);
  if (profile) config.addOptimizationProfile(b.createOptimizationProfile().setDimensions('x', ...profile));
  return new Runtime(quiet).deserializeEngine(b.buildSerializedNetwork(net, config)).createExecutionContext({ threads: 2 });
}

/** Counts event-loop turns (setImmediate callbacks) until stopped. */
function loopTurns(): { stop(): number } {
  let turns = 0;
  let on = true;
  const tick = () => { if (on) { turns++; setImmediate(tick); } };
  setImmediate(tick);
  return { stop: () => { on = false; return turns; } };
}

describe('runs on the JS thread in slices', () => {
  it('equal the interpreter run after run, with the loop turning and the context busy until they settle', async () => {
    // 200 layers of batch 64: milliseconds of work, several 1 ms slices.
    const net = chain(200, 64);
    const ctx = contextOf(net);
    const inputs = [randomTensor('f32', [64, 128], r), randomTensor('f32', [64, 128], r)];
    const expected = inputs.map((x) => interpret(net.graph, { x })['y']!);
    for (let i = 0; i < 6; i++) {
      const data = Float32Array.from(inputs[i % 2]!.data as Float32Array);
      const turns = loopTurns();
      const pending = ctx.run({ x: data });
      data.fill(0); // copied before run() returned
      await expect(ctx.run({ x: data })).rejects.toMatchObject({ code: 'KILN_BUSY' });
      const out = (await pending)['y']!;
      expect(turns.stop(), `run ${i}`).toBeGreaterThan(0);
      expectClose(out.data as Float32Array, expected[i % 2]!.data as Float32Array, 1e-4, `run ${i}`);
    }
  });

  it('keeps runs of two contexts of one engine correct when they overlap', async () => {
    const net = chain(60, 16);
    const b = new Builder(quiet);
    const engine = new Runtime(quiet).deserializeEngine(b.buildSerializedNetwork(net, b.createBuilderConfig().setOptLevel(0)));
    const contexts = [engine.createExecutionContext({ threads: 2 }), engine.createExecutionContext({ threads: 1 })];
    const inputs = contexts.map(() => randomTensor('f32', [16, 128], r));
    const expected = inputs.map((x) => interpret(net.graph, { x })['y']!);
    for (let round = 0; round < 4; round++) {
      const outs = await Promise.all(contexts.map((c, i) => c.run({ x: inputs[i]!.data as Float32Array })));
      outs.forEach((o, i) => expectClose(o['y']!.data as Float32Array, expected[i]!.data as Float32Array, 1e-4, `round ${round} context ${i}`));
    }
  });

  it('re-runs a dynamic engine on the layers of each new shape set', async () => {
    const net = chain(30, 'batch');
    const ctx = contextOf(net, [[1, 128], [4, 128], [32, 128]]);
    for (const batch of [4, 4, 32, 32, 1, 4, 32]) {
      const x = randomTensor('f32', [batch, 128], r);
      const out = (await ctx.run({ x: { data: x.data as Float32Array, shape: [batch, 128] } }))['y']!;
      expect(out.shape).toEqual([batch, 128]);
      expectClose(out.data as Float32Array, interpret(net.graph, { x })['y']!.data as Float32Array, 1e-4, `batch ${batch}`);
    }
  });

  it('a layer that fails in a later slice rejects the run with its error and frees the context', async () => {
    // 200 layers, then a gather whose indices come in at run time.
    const net = new Network();
    let t = net.input('x', 'f32', [64, 128]);
    for (let i = 0; i < 200; i++) t = t.fullyConnected({ outputs: 128, weights: weights(128 * 128), bias: weights(128) }).tanh();
    net.markOutput(t.gather(net.input('i', 'i64', [2]), { axis: 0, name: 'g' }), 'y');
    const b = new Builder(quiet);
    const ctx = new Runtime(quiet).deserializeEngine(b.buildSerializedNetwork(net, b.createBuilderConfig().setOptLevel(0))).createExecutionContext({ threads: 2 });
    const x = new Float32Array(64 * 128).fill(0.5);
    const good = { x, i: { data: BigInt64Array.from([0n, 63n]), shape: [2] } };
    for (let k = 0; k < 3; k++) await ctx.run(good);
    await expect(ctx.run({ x, i: { data: BigInt64Array.from([1n, 64n]), shape: [2] } })).rejects.toMatchObject({
      code: 'KILN_INPUT', message: expect.stringMatching(/^layer 'g': indices\[1\] = 64 is out of range for axis 0 of data '.+' f32\[64,128\] \(valid: -64\.\.63\)$/),
    });
    expect((await ctx.run(good))['y']!.shape).toEqual([2, 128]);
  });

  it('rejects bad inputs the same way on every run', async () => {
    const ctx = contextOf(chain(3, 2));
    const x = new Float32Array(256);
    await ctx.run({ x });
    await ctx.run({ x });
    const error = await ctx.run({ x: new Float32Array(255) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KilnError);
    expect((error as KilnError).message).toMatch(/input 'x'/);
    expect((await ctx.run({ x }))['y']!.shape).toEqual([2, 128]);
  });
});
