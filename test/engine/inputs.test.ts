// Wrong inputs at run time are refused with messages naming the input, the expected
// and the received type and shape.
import { describe, expect, it } from 'vitest';
import { Network, Runtime } from '../../src/index.js';
import { buildPlan, quiet } from './helpers.js';

function context() {
  const net = new Network();
  net.markOutput(net.input('data', 'f32', [1, 1, 28, 28]).scale({ mode: 'uniform', scale: 2 }).relu(), 'out');
  const engine = new Runtime(quiet).deserializeEngine(buildPlan(net));
  return engine.createExecutionContext({ threads: 1 });
}

describe('run checks its inputs', () => {
  it('uint8 HWC data fed to a float NCHW input', async () => {
    await expect(context().run({ data: { data: new Uint8Array(784), shape: [28, 28, 1] } }))
      .rejects.toThrow("input 'data': expected f32[1,1,28,28], received u8[28,28,1]");
  });
  it('a right-sized array of the wrong dtype', async () => {
    await expect(context().run({ data: new Int32Array(784) })).rejects.toThrow("input 'data': expected f32[1,1,28,28], received i32[1,1,28,28]");
  });
  it('a wrong shape', async () => {
    await expect(context().run({ data: { data: new Float32Array(784), shape: [1, 28, 28] } })).rejects.toThrow("input 'data': expected f32[1,1,28,28], received f32[1,28,28]");
  });
  it('data that does not fill the shape', async () => {
    await expect(context().run({ data: new Float32Array(783) })).rejects.toThrow(/input 'data'.*783/);
  });
  it('a wrong name, a missing input', async () => {
    await expect(context().run({ dta: new Float32Array(784) })).rejects.toThrow("unknown input 'dta'; the engine's inputs are: data");
    await expect(context().run({})).rejects.toThrow(/input 'data'/);
  });
  it('not a tensor at all', async () => {
    await expect(context().run({ data: [1, 2, 3] as never })).rejects.toThrow("input 'data': expected a typed array or { data, shape }, received an object with keys 0, 1, 2");
  });
  it('setInputShape outside the profile, or for an unknown input', () => {
    const ctx = context();
    expect(() => ctx.setInputShape('data', [2, 1, 28, 28])).toThrow("setInputShape: input 'data' was built for f32[1,1,28,28]; [2,1,28,28] is outside its profile");
    expect(() => ctx.setInputShape('x', [1])).toThrow("setInputShape: unknown input 'x'; the engine's inputs are: data");
  });
  it('a good run after bad ones, and run does not block the event loop', async () => {
    const ctx = context();
    await expect(ctx.run({ data: new Float32Array(5) })).rejects.toThrow();
    let ticked = false;
    setImmediate(() => { ticked = true; });
    const p = ctx.run({ data: new Float32Array(784).fill(-1) });
    expect(p).toBeInstanceOf(Promise);
    const out = await p;
    expect(ticked).toBe(true);
    expect(out.out!.shape).toEqual([1, 1, 28, 28]);
    expect(Array.from(out.out!.data as Float32Array).every((v) => v === 0)).toBe(true);
  });
});
