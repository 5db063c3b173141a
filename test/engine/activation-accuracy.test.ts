// The vectorized transcendental activations (gelu, sigmoid, silu, tanh: vec-kernels-act.inc)
// against the interpreter over their whole range: both tails, values near the
// clamps of exp, every remainder of the 8-lane loop, and NaN / infinity; on the
// build's vector code and (in its own process, see tactics-generic) the portable one.
import { describe, expect, it } from 'vitest';
import { Network } from '../../src/index.js';
import { interpret, type Tensor } from '../../src/interpret/index.js';
import { buildPlan, expectClose, runPlan } from './helpers.js';

const sweep = (): Float32Array => {
  const v: number[] = [];
  for (let x = -30; x <= 30; x += 0.0371) v.push(x);
  v.push(-100, -88, -87.5, 87.5, 89, 100, 1e-6, -1e-6, 0, -0);
  return Float32Array.from(v);
};

async function check(act: 'gelu' | 'sigmoid' | 'silu' | 'tanh', data: Float32Array, rtol: number, atol: number): Promise<Tensor> {
  const net = new Network();
  net.markOutput(net.input('x', 'f32', [data.length])[act](), 'y');
  const inputs = { x: { dtype: 'f32' as const, shape: [data.length], data } };
  const actual = (await runPlan(buildPlan(net), inputs)).y!;
  expectClose(actual, interpret(net.graph, inputs).y!, act, rtol, atol);
  return actual;
}

describe('transcendental activations', () => {
  for (const act of ['gelu', 'sigmoid', 'silu', 'tanh'] as const) {
    // erf's approximation is absolute (1.5e-7): gelu gets atol 5e-7; the others only rounding.
    const atol = act === 'gelu' ? 5e-7 : 1e-30;
    it(`${act} within 2e-6 relative (gelu: + 5e-7) over [-30, 30] and the clamps of exp`, async () => {
      await check(act, sweep(), 2e-6, atol);
      for (let n = 1; n <= 17; n++) await check(act, Float32Array.from({ length: n }, (_, i) => i - 8.3), 2e-6, atol);
    });
  }

  it('propagates NaN and saturates at infinity', async () => {
    const data = Float32Array.from([NaN, Infinity, -Infinity, 1, 2, 3, 4, 5, NaN]);
    const expected: Record<string, number[]> = { gelu: [NaN, Infinity, 0], sigmoid: [NaN, 1, 0], silu: [NaN, Infinity, NaN], tanh: [NaN, 1, -1] };
    for (const act of ['gelu', 'sigmoid', 'silu', 'tanh'] as const) {
      const net = new Network();
      net.markOutput(net.input('x', 'f32', [data.length])[act](), 'y');
      const y = (await runPlan(buildPlan(net), { x: { dtype: 'f32', shape: [data.length], data } })).y!.data as Float32Array;
      const want = expected[act]!;
      expect([...y.subarray(0, want.length)], act).toEqual(want);
      expect(y[8], act).toBeNaN();
    }
  });
});
