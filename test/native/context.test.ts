// Engine and Context behaviour: input validation messages, promise semantics
// (reject, never throw), one run at a time per context, concurrent contexts,
// the event loop staying free during a run, and output typed-array classes.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, kiln, rng } from './plan-fixtures.js';
import { matmul } from './references.js';

const k = kiln();

/** data[1,1,28,28] -> relu -> out (an MNIST-shaped input). */
function mnistLike() {
  const b = new PlanBuilder();
  const x = b.input('data', [1, 1, 28, 28]);
  const y = b.tensor('out', [1, 1, 28, 28]);
  b.layer('unary', [x], [y], [1], [0, 0]);
  b.output(y);
  return new k.Engine(k.serializePlan(b.desc()));
}

/** A square matmul big enough to keep a worker busy for a while. */
function bigMatmul(n: number) {
  const R = rng(3);
  const b = new PlanBuilder();
  const a = b.input('a', [n, n]);
  const wData = R.floats(n * n);
  const w = b.weight('w', [n, n], wData);
  const y = b.tensor('y', [n, n]);
  b.layer('gemm', [a, w], [y], [0, 0, 0, 0], [0, 0]);
  b.output(y);
  return { engine: new k.Engine(k.serializePlan(b.desc())), wData };
}

async function rejection(p: Promise<unknown>): Promise<any> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e) => e);
}

describe('input validation', () => {
  const engine = mnistLike();
  const ctx = new k.Context(engine, 1);
  const good = { name: 'data', data: new Float32Array(784), shape: [1, 1, 28, 28] };

  it('names unknown inputs and lists the real ones', async () => {
    const e = await rejection(ctx.run([{ ...good, name: 'dta' }]));
    expect(e.code).toBe('KILN_INPUT');
    expect(e.message).toBe("unknown input 'dta'; the engine's inputs are: data");
  });

  it('prints expected and received types', async () => {
    const e = await rejection(ctx.run([{ name: 'data', data: new Uint8Array(784), shape: [28, 28, 1] }]));
    expect(e.message).toBe("input 'data': expected f32[1,1,28,28], received u8[28,28,1]");
    const e2 = await rejection(ctx.run([{ ...good, shape: [28, 28] }]));
    expect(e2.message).toBe("input 'data': expected f32[1,1,28,28], received f32[28,28]");
    const e3 = await rejection(ctx.run([{ ...good, data: new Float32Array(783) }]));
    expect(e3.message).toBe("input 'data': shape [1,1,28,28] needs 784 elements, data has 783");
  });

  it('wants every input exactly once', async () => {
    expect((await rejection(ctx.run([]))).message).toBe("missing input 'data'; the engine's inputs are: data");
    expect((await rejection(ctx.run([good, good]))).message).toBe("input 'data' is given twice");
  });

  it('rejects ill-typed arguments instead of throwing', async () => {
    const p = ctx.run(42);
    expect(p).toBeInstanceOf(Promise);
    const e = await rejection(p);
    expect(e).toBeInstanceOf(TypeError);
    expect(e.code).toBe('KILN_ARGUMENT');
    expect(e.message).toBe('inputs must be an array, got 42');
    expect((await rejection(ctx.run([{ name: 'data', data: [1, 2], shape: [2] }]))).message).toBe(
      'inputs[0].data must be a typed array, got an array');
  });

  it('still runs after refusals', async () => {
    const data = Float32Array.from({ length: 784 }, (_, i) => (i % 3) - 1);
    const [out] = await ctx.run([{ ...good, data }]);
    expect(out.name).toBe('out');
    expect(out.dtype).toBe('f32');
    expect(out.shape).toEqual([1, 1, 28, 28]);
    expect(Array.from(out.data)).toEqual(Array.from(data, (v) => Math.max(v, 0)));
  });

  it('checks constructor arguments', () => {
    expect(() => new k.Context({}, 1)).toThrow(TypeError);
    expect(() => new k.Context(engine, -1)).toThrow('threads must be an integer in 0..1024, got -1');
    expect(() => new k.Engine(42)).toThrow('bytes must be a Uint8Array, got 42');
    expect(new k.Context(engine).threads).toBe(k.hardwareThreads());
    expect(new k.Context(engine, 3).threads).toBe(3);
  });
});

describe('execution', () => {
  it('runs on a worker: the promise is pending and the event loop keeps turning', async () => {
    const { engine, wData } = bigMatmul(384);
    const ctx = new k.Context(engine, 2);
    const a = rng(4).floats(384 * 384);
    let ticked = false;
    setImmediate(() => { ticked = true; });
    const p = ctx.run([{ name: 'a', data: a, shape: [384, 384] }]);
    expect(p).toBeInstanceOf(Promise);
    const busy = await rejection(ctx.run([{ name: 'a', data: a, shape: [384, 384] }]));
    expect(busy.code).toBe('KILN_BUSY');
    a.fill(0); // inputs were copied before run() returned
    const [y] = await p;
    expect(ticked).toBe(true);
    const ref = matmul(rng(4).floats(384 * 384), [384, 384], wData, [384, 384], false, false, null, { code: 0, alpha: 0, beta: 0 });
    expectClose(y.data, ref.out, 2e-4);
    // Free again afterwards.
    await ctx.run([{ name: 'a', data: a, shape: [384, 384] }]);
  });

  it('runs several contexts of one engine concurrently', async () => {
    const { engine, wData } = bigMatmul(200);
    const R = rng(8);
    const inputs = [0, 1, 2, 3].map(() => R.floats(200 * 200));
    const contexts = inputs.map(() => new k.Context(engine, 1));
    const results = await Promise.all(contexts.map((c: any, i: number) => c.run([{ name: 'a', data: inputs[i], shape: [200, 200] }])));
    results.forEach(([y]: any, i: number) => {
      const ref = matmul(inputs[i]!, [200, 200], wData, [200, 200], false, false, null, { code: 0, alpha: 0, beta: 0 });
      expectClose(y.data, ref.out, 2e-4, `context ${i}`);
    });
  });

  it('returns the typed array class of each dtype', async () => {
    const kinds = [
      ['f32', Float32Array], ['i32', Int32Array], ['i64', BigInt64Array], ['u8', Uint8Array], ['bool', Uint8Array],
      ['i8', Int8Array], ['f16', Uint16Array], ['bf16', Uint16Array],
    ] as const;
    for (const [dtype, Ctor] of kinds) {
      const b = new PlanBuilder();
      const x = b.input('x', [5], dtype);
      const y = b.tensor('y', [5], dtype);
      b.layer('copy', [x], [y]);
      b.output(y);
      const ctx = new k.Context(new k.Engine(k.serializePlan(b.desc())), 1);
      const data: any = new (Ctor as any)(5);
      for (let i = 0; i < 5; i++) data[i] = dtype === 'i64' ? BigInt(i - 2) : dtype === 'bool' ? i % 2 : i + 1;
      const [out] = await ctx.run([{ name: 'x', data, shape: [5] }]);
      expect(out.dtype).toBe(dtype);
      expect(out.data).toBeInstanceOf(Ctor);
      expect(Array.from(out.data)).toEqual(Array.from(data));
    }
  });

  it('reports CPU features and hardware threads', () => {
    expect(Array.isArray(k.cpuFeatures())).toBe(true);
    expect(k.hardwareThreads()).toBeGreaterThanOrEqual(1);
  });
});
