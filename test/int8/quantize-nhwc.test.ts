// The Quantize pass on AssignLayout's NHWC regions, Input vs Expected: two MobileNet
// inverted residual blocks (1x1 expand + relu6, depthwise 3x3 + relu6, 1x1 project +
// skip) become QMatMul, QConvNhwc, QMatMul with the residual in its epilogue, i8
// between all of them (the block output reaches the next block's expand as x and its
// project as an i8 residual), scales found through the NHWC names (`v.nhwc` takes
// v's), and full 8-bit depthwise weight codes. The engine then matches the
// interpreter on the quantized graph, and the result stays close to fp32.
import { describe, expect, it } from 'vitest';
import { interpret, mulberry32, randomTensor, type Rng } from '../../src/interpret/index.js';
import type { Graph } from '../../src/ir/index.js';
import { AssignLayout } from '../../passes/assign-layout.js';
import { quantizeGraph, scaleOf } from '../../passes/quantize.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, expectClose, runPlan } from '../engine/helpers.js';

const f32 = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
const relu6 = { activation: 'clip', alpha: 0, beta: 6 };

function block(d: GraphDraft, rng: Rng, name: string, x: string, c: number, e: number): string {
  const w = (n: string, shape: number[]) => d.constant(`${name}.${n}`, 'f32', shape, f32(rng, shape.reduce((a, b) => a * b, 1), -0.4, 0.4));
  const b = (n: string, k: number) => d.constant(`${name}.${n}b`, 'f32', [k], f32(rng, k, -0.1, 0.1));
  const expand = d.node('Conv', `${name}.expand`, [x, w('ew', [e, c, 1, 1]), b('e', e)], relu6);
  const dw = d.node('Conv', `${name}.dw`, [expand, w('dk', [e, 1, 3, 3]), b('d', e)], { groups: e, padsBegin: [1, 1], padsEnd: [1, 1], ...relu6 });
  return d.node('Conv', `${name}.project`, [dw, w('pw', [c, e, 1, 1]), b('p', c), x], {});
}

function scalesOf(g: Graph, inputs: Record<string, { dtype: 'f32'; shape: number[]; data: Float32Array }>): Map<string, number> {
  const all = interpret(g, inputs, { keep: 'all' });
  const scales = new Map<string, number>();
  for (const [name, t] of Object.entries(all)) {
    if (t.dtype !== 'f32' || g.constants[name]) continue;
    scales.set(name, Math.max(...Array.from(t.data as Float32Array, Math.abs)) / 127);
  }
  return scales;
}

describe('Quantize pass on NHWC regions', () => {
  it('turns MobileNet blocks into QMatMul / QConvNhwc with i8 between them and i8 residuals', async () => {
    const rng = mulberry32(31);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [2, 8, 7, 7] });
    const b1 = block(d, rng, 'b1', x, 8, 20);
    const b2 = block(d, rng, 'b2', b1, 8, 20);
    d.outputs.push(b2);
    const g = d.graph();
    const inputs = { x: { dtype: 'f32' as const, shape: [2, 8, 7, 7], data: randomTensor('f32', [2, 8, 7, 7], rng, { min: -1, max: 1 }).data as Float32Array } };
    const scales = scalesOf(g, inputs);
    const nhwc = AssignLayout.run(g, { logger: () => {}, options: { minLayersPerReformat: 0 } });
    expect(nhwc.nodes.map((n) => n.op)).toEqual(['Transpose', 'MatMul', 'ConvNhwc', 'MatMul', 'MatMul', 'ConvNhwc', 'MatMul', 'Transpose']);
    const q = quantizeGraph(nhwc, { scales });
    expect(q.nodes.map((n) => n.op)).toEqual(['Transpose', 'QuantizeLinear', 'QMatMul', 'QConvNhwc', 'QMatMul', 'QMatMul', 'QConvNhwc', 'QMatMul', 'Transpose']);
    const [, quantize, e1, d1, p1, e2, d2, p2] = q.nodes;
    // Every tensor between the int8 layers is i8; the last project writes f32 for the reformat.
    for (const n of [quantize!, e1!, d1!, p1!, e2!, d2!]) expect(q.types[n.outputs[0]!]!.dtype, n.name).toBe('i8');
    expect(q.types[p2!.outputs[0]!]!.dtype).toBe('f32');
    // b1's project reads the input's one quantized copy as its i8 residual; b2's reads b1's i8 output.
    expect(p1!.inputs[4]).toBe(quantize!.outputs[0]);
    expect(p1!.attrs.residualScale).toBe(Math.fround(scales.get(x)!));
    expect(p2!.inputs[4]).toBe(e2!.inputs[0]);
    expect(p2!.attrs.residualScale).toBe(Math.fround(scales.get(b1)!));
    expect(e2!.attrs.xScale).toBe(Math.fround(scaleOf(scales, e2!.inputs[0]!)!));
    expect(e2!.inputs[0]).toMatch(/\.nhwc/);
    // 7-bit codes in the GEMMs, 8-bit in the depthwise layers (no pair limit there).
    const amax = (n: typeof e1) => Math.max(...Array.from(q.constants[n!.inputs[1]!]!.data as Int8Array, Math.abs));
    expect([amax(e1), amax(d1), amax(p1)]).toEqual([63, 127, 63]);
    const expected = interpret(q, inputs)[b2]!;
    expectClose((await runPlan(buildPlan(q, 0), inputs))[b2]!, expected, 'engine vs interpreter', 1e-5, 1e-5);
    const fp32 = interpret(g, inputs)[b2]!.data as Float32Array;
    const got = expected.data as Float32Array;
    let [dot, na, nb] = [0, 0, 0];
    for (let i = 0; i < got.length; i++) (dot += got[i]! * fp32[i]!, na += got[i]! ** 2, nb += fp32[i]! ** 2);
    expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.99);
  });

  it('a residual whose producer writes f32 stays f32 (residualScale 0)', () => {
    const rng = mulberry32(32);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [1, 8, 5, 5] });
    d.outputs.push(block(d, rng, 'b', x, 8, 16));
    const g = d.graph();
    const scales = scalesOf(g, { x: { dtype: 'f32', shape: [1, 8, 5, 5], data: f32(rng, 200, -1, 1) } });
    // The depthwise layer pinned to fp32: the expand writes f32 for it, the project still quantizes.
    const q = quantizeGraph(AssignLayout.run(g, { logger: () => {}, options: { minLayersPerReformat: 0 } }), { scales, precisionOf: (l) => (l === 'b.dw' ? 'fp32' : undefined) });
    expect(q.nodes.map((n) => n.op)).toEqual(['Transpose', 'QuantizeLinear', 'QMatMul', 'ConvNhwc', 'QuantizeLinear', 'QMatMul', 'Transpose']);
    const project = q.nodes[5]!;
    expect(q.types[project.inputs[4]!]!.dtype).toBe('i8');
    expect(q.types[q.nodes[2]!.outputs[0]!]!.dtype).toBe('f32');
  });

  it('an NCHW stem conv writes i8 through the reformat to NHWC (a Transpose moves codes)', async () => {
    const rng = mulberry32(33);
    const d = new GraphDraft();
    const x = d.input('x', { dtype: 'f32', shape: [2, 3, 12, 12] });
    const w = (n: string, shape: number[]) => d.constant(n, 'f32', shape, f32(rng, shape.reduce((a, b) => a * b, 1), -0.4, 0.4));
    const stem = d.node('Conv', 'stem', [x, w('sw', [8, 3, 3, 3]), w('sb', [8])], { strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], ...relu6 });
    d.outputs.push(block(d, rng, 'b', stem, 8, 16));
    const g = d.graph();
    const inputs = { x: { dtype: 'f32' as const, shape: [2, 3, 12, 12], data: f32(rng, 2 * 3 * 144, -1, 1) } };
    const scales = scalesOf(g, inputs);
    const q = quantizeGraph(AssignLayout.run(g, { logger: () => {}, options: { minLayersPerReformat: 0 } }), { scales });
    expect(q.nodes.map((n) => n.op)).toEqual(['QuantizeLinear', 'QConv', 'Transpose', 'QMatMul', 'QConvNhwc', 'QMatMul', 'Transpose']);
    const [, conv, reformat, expand, , project] = q.nodes;
    // The stem requantizes by its output's scale; the reformat moves i8; the block reads it as x and as its i8 residual.
    expect([conv, reformat].map((n) => q.types[n!.outputs[0]!]!.dtype)).toEqual(['i8', 'i8']);
    expect(conv!.attrs.outScale).toBe(Math.fround(scales.get(stem)!));
    expect(expand!.inputs[0]).toBe(reformat!.outputs[0]);
    expect(project!.inputs[4]).toBe(reformat!.outputs[0]);
    expect(project!.attrs.residualScale).toBe(Math.fround(scales.get(stem)!));
    const out = d.outputs[0]!;
    expectClose((await runPlan(buildPlan(q, 0), inputs))[out]!, interpret(q, inputs)[out]!, 'engine vs interpreter', 1e-5, 1e-5);
  });
});
