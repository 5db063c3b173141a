// The Quantize pass, Input vs Expected: consecutive int8 layers hand i8 to each
// other (the producer requantizes), a tensor with an fp32 reader stays f32 and gets
// one QuantizeLinear shared by its int8 readers, a fused residual becomes QConv +
// Add + activation, a max pool passes a stem's i8 codes on (its fp32 readers read a
// DequantizeLinear), 7-bit weight codes by default, and the graph with nothing to
// quantize comes back as the same object. Each rewritten graph then runs on the
// engine against the interpreter.
import { describe, expect, it } from 'vitest';
import { interpret, mulberry32, randomTensor, type Rng } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { quantizeGraph } from '../../passes/quantize.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, expectClose, runPlan } from '../engine/helpers.js';

const f32 = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
const pad1 = { padsBegin: [1, 1], padsEnd: [1, 1] };

function conv(d: GraphDraft, rng: Rng, name: string, x: string, cin: number, cout: number, attrs: Record<string, unknown>, residual?: string): string {
  const w = d.constant(`${name}.w`, 'f32', [cout, cin, 3, 3], f32(rng, cout * cin * 9, -0.3, 0.3));
  const b = d.constant(`${name}.b`, 'f32', [cout], f32(rng, cout, -0.1, 0.1));
  return d.node('Conv', name, [x, w, b, ...(residual ? [residual] : [])], { ...pad1, ...attrs } as never);
}

/** The scale of every f32 tensor: amax / 127 over one interpreter run. */
function scalesOf(g: Graph, x: Float32Array): Map<string, number> {
  const all = interpret(g, { x: { dtype: 'f32', shape: g.types.x!.shape as number[], data: x } }, { keep: 'all' });
  const scales = new Map<string, number>();
  for (const [name, t] of Object.entries(all)) {
    if (t.dtype !== 'f32' || g.constants[name]) continue;
    let amax = 0;
    for (const v of t.data as Float32Array) amax = Math.max(amax, Math.abs(v));
    scales.set(name, amax / 127);
  }
  return scales;
}

async function engineMatches(g: Graph, x: Float32Array): Promise<void> {
  const inputs = { x: { dtype: 'f32' as const, shape: g.types.x!.shape as number[], data: x } };
  const expected = interpret(g, inputs);
  const actual = await runPlan(buildPlan(g, 0), inputs);
  for (const name of g.outputs) expectClose(actual[name]!, expected[name]!, `'${name}'`, 1e-5, 1e-5);
}

describe('Quantize pass', () => {
  it('chains int8 layers through i8 and shares one QuantizeLinear per tensor', async () => {
    const rng = mulberry32(7);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [1, 3, 8, 8] });
    const c1 = conv(d, rng, 'c1', x, 3, 8, { activation: 'relu' });
    const c2 = conv(d, rng, 'c2', c1, 8, 8, { activation: 'relu' });
    const pooled = d.node('Pool', 'pool', [c2], { mode: 'max', kernel: [2, 2], strides: [2, 2] });
    const c3 = conv(d, rng, 'c3', c2, 8, 4, {});
    const c4 = conv(d, rng, 'c4', c2, 8, 4, {});
    d.outputs.push(pooled, c3, c4);
    const g = d.graph();
    const input = randomTensor('f32', [1, 3, 8, 8], rng, { min: -1, max: 1 }).data as Float32Array;
    const scales = scalesOf(g, input);
    const q = quantizeGraph(g, { scales });
    expect(q.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QConv', 'QConv', 'Pool', 'QuantizeLinear', 'QConv', 'QConv']);
    const [, q1, q2, , shared, q3, q4] = q.nodes;
    // c1 is read only by c2: i8 straight from c1's epilogue at c1's scale.
    expect(q1!.attrs.outScale).toBe(Math.fround(scales.get(c1)!));
    expect(q.types[c1]!.dtype).toBe('i8');
    expect(q2!.inputs[0]).toBe(c1);
    // c2 has an fp32 reader (the pool): it stays f32, one QuantizeLinear serves c3 and c4.
    expect(q2!.attrs.outScale).toBe(0);
    expect(q.types[c2]!.dtype).toBe('f32');
    expect([q3!.inputs[0], q4!.inputs[0]]).toEqual([shared!.outputs[0], shared!.outputs[0]]);
    // 7-bit weight codes by default; 127 when asked.
    const codes = q.constants[q1!.inputs[1]!]!.data as Int8Array;
    expect(Math.max(...Array.from(codes, Math.abs))).toBe(63);
    const wide = quantizeGraph(g, { scales, weightMax: 127 });
    expect(Math.max(...Array.from(wide.constants[wide.nodes[1]!.inputs[1]!]!.data as Int8Array, Math.abs))).toBe(127);
    await engineMatches(q, input);
  });

  it('splits a fused residual into QConv and a Pointwise Add + activation', async () => {
    const rng = mulberry32(8);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [1, 4, 6, 6] });
    const y = conv(d, rng, 'block', x, 4, 4, { activation: 'relu' }, x);
    d.outputs.push(y);
    const g = d.graph();
    const input = randomTensor('f32', [1, 4, 6, 6], rng, { min: -1, max: 1 }).data as Float32Array;
    const q = quantizeGraph(g, { scales: scalesOf(g, input) });
    expect(q.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QConv', 'Pointwise']);
    expect(q.nodes[1]!.attrs.activation).toBe('none');
    expect(q.nodes[2]!.fused).toEqual(['block.residual', 'block.activation']);
    expect(q.nodes[2]!.inputs).toEqual([q.nodes[1]!.outputs[0], x]);
    expect(q.nodes[2]!.outputs).toEqual([y]);
    await engineMatches(q, input);
  });

  it("writes a stem's i8 codes into its max pool, whose fp32 readers read one DequantizeLinear", async () => {
    const rng = mulberry32(10);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [2, 3, 12, 12] });
    const stem = conv(d, rng, 'stem', x, 3, 8, { activation: 'relu', strides: [2, 2] });
    const p = d.node('Pool', 'pool', [stem], { mode: 'max', kernel: [3, 3], strides: [2, 2], ...pad1 });
    const kept = conv(d, rng, 'kept', p, 8, 8, { activation: 'relu' });
    const block = conv(d, rng, 'block', p, 8, 8, { activation: 'relu' }, p);
    d.outputs.push(kept, block);
    const g = d.graph();
    const input = randomTensor('f32', [2, 3, 12, 12], rng, { min: -1, max: 1 }).data as Float32Array;
    const scales = scalesOf(g, input);
    const q = quantizeGraph(g, { scales, precisionOf: (l) => (l === 'kept' ? 'fp32' : undefined) });
    expect(q.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QConv', 'Pool', 'DequantizeLinear', 'Conv', 'QConv', 'Pointwise']);
    const [, qs, pool, dq, f32conv, qb, add] = q.nodes;
    // The pool moves codes at the stem's scale (not the scale calibrated for its own output).
    expect(q.types[qs!.outputs[0]!]!.dtype).toBe('i8');
    expect(q.types[pool!.outputs[0]!]!.dtype).toBe('i8');
    const codes = Math.fround(scales.get(stem)!);
    expect(qs!.attrs.outScale).toBe(codes);
    expect(qb!.inputs[0]).toBe(p);
    expect(qb!.attrs.xScale).toBe(codes);
    expect(Array.from(q.constants[dq!.inputs[1]!]!.data as Float32Array)).toEqual([codes]);
    // The fp32 conv and the split residual's Add share the one f32 copy.
    expect(f32conv!.inputs[0]).toBe(dq!.outputs[0]);
    expect(add!.inputs[1]).toBe(dq!.outputs[0]);
    await engineMatches(q, input);
  });

  it('returns the same graph when no layer has a scale', () => {
    const rng = mulberry32(9);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [1, 2, 5, 5] });
    d.outputs.push(conv(d, rng, 'c', x, 2, 3, {}));
    const g = d.graph();
    expect(quantizeGraph(g, { scales: new Map() })).toBe(g);
  });
});
