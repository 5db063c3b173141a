// The NHWC int8 layers (QMatMul, QConvNhwc) on random shapes against the
// interpreter's exact simulation: odd pixel counts (the 4-row tail), K not a multiple
// of 4 or 16, channel counts past a 24-channel (GEMM) or 16-channel (depthwise)
// block, 7- and 8-bit weights (one or two planes on AVX2), residuals in i8 and f32,
// padding, strides, dilation, activations, f32 and i8 outputs. nhwc.test.ts runs the
// cases in its process and, as a child with KILN_INT8_TILE=none, on the portable
// cores (a CPU without AVX2); run directly, this prints 'ok' or the mismatches.
import { interpret, mulberry32, randomInt, randomTensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, runPlan } from '../engine/helpers.js';

export interface NhwcCase {
  name: string;
  graph: ReturnType<GraphDraft['graph']>;
  inputs: Record<string, Tensor>;
}

const f32 = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());
const codes = (rng: Rng, n: number, max: number) => Int8Array.from({ length: n }, () => randomInt(rng, -max, max));
const ACTS: Record<string, string | number>[] = [{ activation: 'relu' }, { activation: 'none' }, { activation: 'clip', alpha: -0.5, beta: 0.75 }, { activation: 'sigmoid' }];

function quantized(d: GraphDraft, x: string, scale: number, name: string): string {
  return d.node('QuantizeLinear', name, [x, d.constant(`${name}.scale`, 'f32', [1], Float32Array.of(scale))], {});
}

export function qmatmulCase(seed: number): NhwcCase {
  const rng = mulberry32(500 + seed);
  const lead = [randomInt(rng, 1, 2), randomInt(rng, 1, 7), randomInt(rng, 1, 9)];
  const [k, n] = [randomInt(rng, 1, 200), randomInt(rng, 1, 70)];
  const wmax = seed % 3 === 0 ? 127 : 63;
  const residual = (['none', 'i8', 'f32'] as const)[seed % 3]!;
  const outScale = seed % 2 ? 0.25 : 0;
  const d = new GraphDraft();
  const x = quantized(d, d.input('x', { dtype: 'f32', shape: [...lead, k] }), 0.04, 'qx');
  const inputs: Record<string, Tensor> = { x: randomTensor('f32', [...lead, k], rng, { min: -6, max: 6 }) };
  (inputs.x!.data as Float32Array).fill(-1000, 0, Math.min(k, 9));
  const w = codes(rng, n * k, wmax);
  if (wmax === 127) w.fill(127, 0, Math.min(4, w.length));
  const ops = [x, d.constant('w', 'i8', [n, k], w), d.constant('ws', 'f32', [n], f32(rng, n, 0.001, 0.01)), seed % 4 === 1 ? '' : d.constant('b', 'f32', [n], f32(rng, n, -1, 1))];
  let residualScale = 0;
  if (residual !== 'none') {
    const r = d.input('r', { dtype: 'f32', shape: [...lead, n] });
    inputs.r = randomTensor('f32', [...lead, n], rng, { min: -3, max: 3 });
    residualScale = residual === 'i8' ? 0.03 : 0;
    ops.push(residual === 'i8' ? quantized(d, r, residualScale, 'qr') : r);
  }
  while (ops[ops.length - 1] === '') ops.pop();
  const act = ACTS[seed % ACTS.length]!;
  d.outputs.push(d.node('QMatMul', 'mm', ops, { xScale: 0.04, outScale, residualScale, ...act }));
  return { name: `qmatmul ${seed}: x [${lead.join(',')},${k}], w [${n},${k}] ${wmax === 127 ? '8' : '7'}-bit, residual ${residual}, ${outScale ? 'i8' : 'f32'} out, ${String(act.activation)}`, graph: d.graph(), inputs };
}

export function depthwiseCase(seed: number): NhwcCase {
  const rng = mulberry32(700 + seed);
  const [c, kh, kw] = [randomInt(rng, 1, 40), randomInt(rng, 1, 5), randomInt(rng, 1, 4)];
  const [h, w] = [kh + randomInt(rng, 0, 8), kw + randomInt(rng, 0, 8)];
  const pads = [randomInt(rng, 0, 2), randomInt(rng, 0, 2), randomInt(rng, 0, 2), randomInt(rng, 0, 2)];
  const strides = [randomInt(rng, 1, 2), randomInt(rng, 1, 2)];
  const dilations = [1, w + pads[1]! + pads[3]! >= 2 * (kw - 1) + 1 ? randomInt(rng, 1, 2) : 1];
  const outScale = seed % 2 ? 0 : 0.1;
  const d = new GraphDraft();
  const x = quantized(d, d.input('x', { dtype: 'f32', shape: [2, h, w, c] }), 0.05, 'qx');
  const ops = [x, d.constant('w', 'i8', [c, 1, kh, kw], codes(rng, c * kh * kw, 127)), d.constant('ws', 'f32', [c], f32(rng, c, 0.001, 0.02))];
  if (seed % 4 !== 3) ops.push(d.constant('b', 'f32', [c], f32(rng, c, -1, 1)));
  const act = ACTS[seed % ACTS.length]!;
  d.outputs.push(d.node('QConvNhwc', 'dw', ops, { strides, padsBegin: pads.slice(0, 2), padsEnd: pads.slice(2), dilations, xScale: 0.05, outScale, ...act }));
  const input = randomTensor('f32', [2, h, w, c], rng, { min: -8, max: 8 });
  (input.data as Float32Array).fill(-1000, 0, Math.min(c, 5));
  return { name: `qconv-nhwc ${seed}: x [2,${h},${w},${c}], ${kh}x${kw} stride ${strides.join('x')} pads ${pads.join(',')} dilation ${dilations[1]}, ${outScale ? 'i8' : 'f32'} out, ${String(act.activation)}`, graph: d.graph(), inputs: { x: input } };
}

export const CASES = [...[1, 2, 3, 4, 5, 6, 7, 8].map(qmatmulCase), ...[1, 2, 3, 4, 5, 6, 7, 8].map(depthwiseCase)];

/** The first mismatch of `c` at optimization level 0 and 3 (i8 exact, f32 within `rtol` relative), or undefined. */
export async function mismatch(c: NhwcCase, rtol = 1e-6): Promise<string | undefined> {
  const expected = interpret(c.graph, c.inputs);
  for (const level of [0, 3]) {
    const actual = await runPlan(buildPlan(c.graph, level), c.inputs);
    for (const name of c.graph.outputs) {
      const [e, a] = [expected[name]!, actual[name]!];
      if (e.dtype !== a.dtype) return `${c.name} O${level}: dtype ${a.dtype}, the interpreter's ${e.dtype}`;
      const bad = Array.from(e.data as ArrayLike<number>).findIndex((v, i) => Math.abs(v - (a.data[i] as number)) > (e.dtype === 'i8' ? 0 : rtol * Math.max(1, Math.abs(v))));
      if (bad >= 0) return `${c.name} O${level}: element ${bad} is ${String(a.data[bad])}, the interpreter gives ${String(e.data[bad])}`;
    }
  }
  return undefined;
}

if (process.argv[1]?.endsWith('nhwc-case.ts')) {
  const bad = (await Promise.all(CASES.map((c) => mismatch(c)))).filter((m) => m !== undefined);
  console.log(bad.length === 0 ? 'ok' : bad.join('\n'));
  process.exit(bad.length === 0 ? 0 : 1);
}
