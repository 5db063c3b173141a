// The fused residual of the conv and gemm kernels (FuseResidualAdds): y = act(op + bias +
// residual), with hasResidual appended to the ints and the residual as the last input.
// Every tactic that takes one is checked against the references at random shapes,
// batches (conv columns in blocks, one per image), groups and activations; the tactics
// without a residual input refuse it by name.
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, kiln, numel, rng, runPlan } from './plan-fixtures.js';
import { activate, conv, matmul } from './references.js';

const R = rng(4242);
const NONE = { code: 0, alpha: 0, beta: 0 };

interface Operands {
  x: { data: Float32Array; shape: number[] };
  w: { data: Float32Array; shape: number[] };
  bias: Float32Array | null;
}

/**
 * Runs `kernel` on x, constant w, an optional bias and a random residual of the reference
 * output's type, and checks y = act(ref + residual), the reference computed without activation.
 */
async function checkResidual(kernel: string, o: Operands, ints: number[], ref: { out: Float32Array; shape: number[] }, act: number, label: object) {
  const r = R.floats(ref.out.length);
  const p = new PlanBuilder();
  const ins = [p.input('x', o.x.shape), p.weight('w', o.w.shape, o.w.data)];
  if (o.bias) ins.push(p.weight('bias', [o.bias.length], o.bias));
  ins.push(p.input('r', ref.shape));
  const y = p.tensor('y', ref.shape);
  p.layer(kernel, ins, [y], ints, [0.1, 0.5]);
  p.output(y);
  const out = await runPlan(p.desc(), { x: o.x, r: { data: r, shape: ref.shape } }, 2);
  const expected = ref.out.map((v, i) => activate(v + r[i]!, { code: act, alpha: 0.1, beta: 0.5 }));
  expectClose(out.y.data, expected, 2e-4, `${kernel} ${JSON.stringify(label)}`);
}

async function checkConv(kernel: string, c: { n: number; cin: number; cout: number; hw: number; k: number; groups: number; bias: boolean; act: number; stride: number }) {
  const xs = [c.n, c.cin, c.hw, c.hw], ws = [c.cout, c.cin / c.groups, c.k, c.k];
  const x = R.floats(numel(xs)), w = R.floats(numel(ws)), b = c.bias ? R.floats(c.cout) : null;
  const pad = (c.k - 1) >> 1;
  const params = { groups: c.groups, strides: [c.stride, c.stride], padsBegin: [pad, pad], padsEnd: [pad, pad], dilations: [1, 1] };
  const ref = conv(x, xs, w, ws, b, params, NONE);
  const ints = [2, c.groups, c.act, c.stride, c.stride, pad, pad, pad, pad, 1, 1, 1];
  await checkResidual(kernel, { x: { data: x, shape: xs }, w: { data: w, shape: ws }, bias: b }, ints, { out: ref.y, shape: ref.shape }, c.act, c);
}

async function checkGemm(kernel: string, c: { rows: number; batch: number; k: number; n: number; bias: boolean; act: number; transB: boolean }) {
  const as = c.batch > 1 ? [c.batch, c.rows, c.k] : [c.rows, c.k];
  const bs = c.transB ? [c.n, c.k] : [c.k, c.n];
  const a = R.floats(numel(as)), bv = R.floats(numel(bs)), bias = c.bias ? R.floats(c.n) : null;
  const ref = matmul(a, as, bv, bs, false, c.transB, bias, NONE);
  await checkResidual(kernel, { x: { data: a, shape: as }, w: { data: bv, shape: bs }, bias }, [0, +c.transB, c.act, +c.bias, 1], ref, c.act, c);
}

describe('fused residual', () => {
  it('conv and convWide add it before the activation (batches, groups, strides, 1x1)', async () => {
    for (const kernel of ['conv', 'convWide']) {
      for (let trial = 0; trial < 12; trial++) {
        const groups = trial % 3 === 2 ? 2 : 1;
        const k = [1, 3, 5][trial % 3]!;
        await checkConv(kernel, {
          n: R.int(1, 3), cin: 2 * R.int(1, 4), cout: groups * R.int(1, 9), hw: R.int(3, 12), k, groups,
          bias: R.next() < 0.5, act: R.int(0, 8), stride: k === 1 ? 1 : R.int(1, 2),
        });
      }
    }
  });

  it('convWinograd and convWinogradWide add it before the activation', async () => {
    for (const kernel of ['convWinograd', 'convWinogradWide']) {
      for (let trial = 0; trial < 6; trial++) {
        await checkConv(kernel, { n: R.int(1, 2), cin: R.int(1, 6), cout: R.int(1, 10), hw: R.int(3, 11), k: 3, groups: 1, bias: R.next() < 0.5, act: R.int(0, 8), stride: 1 });
      }
    }
  });

  it('gemm, gemmRows and gemv add it before the activation', async () => {
    for (const kernel of ['gemm', 'gemmRows', 'gemv']) {
      for (let trial = 0; trial < 8; trial++) {
        await checkGemm(kernel, {
          rows: R.int(1, kernel === 'gemv' ? 5 : 40), batch: kernel === 'gemv' ? 1 : R.int(1, 3), k: R.int(1, 70), n: R.int(1, 70),
          bias: R.next() < 0.5, act: R.int(0, 8), transB: R.next() < 0.5,
        });
      }
    }
  });

  it('is refused by a tactic without a residual input, and a residual of the wrong shape by name', () => {
    const k = kiln();
    const p = new PlanBuilder();
    const x = p.input('x', [1, 4, 5, 5]);
    const w = p.weight('w', [4, 1, 3, 3], R.floats(36));
    const r = p.input('r', [1, 4, 5, 5]);
    const y = p.tensor('y', [1, 4, 5, 5]);
    p.layer('convDepthwise', [x, w, r], [y], [2, 4, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 0], 'dw');
    p.output(y);
    expect(() => new k.Engine(k.serializePlan(p.desc()))).toThrow(/convDepthwise has no residual input/);

    const q = new PlanBuilder();
    const a = q.input('a', [3, 4]);
    const b = q.weight('b', [4, 5], R.floats(20));
    const bad = q.input('r', [3, 4]);
    const out = q.tensor('y', [3, 5]);
    q.layer('gemm', [a, b, bad], [out], [0, 0, 0, 0, 1], [0, 0], 'fc');
    q.output(out);
    expect(() => new k.Engine(k.serializePlan(q.desc()))).toThrow(/residual \(last input\) to have the output's type f32\[3,5\], got 'r' f32\[3,4\]/);
  });
});
