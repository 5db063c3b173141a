// QMatMul's paths against the interpreter's exact simulation, bit for bit (f32 outputs
// too: a contracted multiply-add shows), one named case each:
// the 5 x 16 tile's row tail (M % 5), K not a multiple of 4 or 16, N past a 16-channel
// block (an 8-wide last block for N % 16 in 1-8, a padded 16-wide one for 9-15), i8
// and f32 output, i8 and f32 residual, every activation kind (none, relu, clip, one
// outside the register clamp), 8-bit weights (two planes on AVX2), both loop orders
// (weights that fit L1 or not), K up to 96 with the sums of a row group kept apart from
// the epilogue or not, tasks that split the channels and an f32 output large
// enough to be streamed past the caches; inputs whose codes are all >= 0 (a relu6
// producer: AVX2 packs such a panel unshifted and sums two quads per vpmaddwd) with an
// odd count of quads, weights at the pair limit, two planes, and one negative code
// that sends its panel down the shifted path. qmatmul.test.ts runs
// them in its process and, as a child with KILN_INT8_TILE=none, on the portable cores;
// run directly, this prints 'ok' or the mismatches.
import { mulberry32, randomInt, randomTensor, type Tensor } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { mismatch, type NhwcCase } from './nhwc-case.js';

interface Spec {
  lead: number[];
  k: number;
  n: number;
  out?: 'i8' | 'f32';
  residual?: 'none' | 'i8' | 'f32';
  act?: Record<string, string | number>;
  wmax?: number;
  bias?: boolean;
  outScale?: number;
  /** The least x (f32; 0: every code >= 0, as after a relu6). */
  xmin?: number;
  /** A row given one negative code (its panel takes the shifted path). */
  negativeRow?: number;
  /** Channels 0-2 at the pair limit, |w[2i]| + |w[2i+1]| = 128: with row 1's codes of 127 an i16 lane of two quads reaches 127 * 256. */
  edge?: boolean;
}

const CLIP = { activation: 'clip', alpha: 0, beta: 6 };

/** A case; `rtol` where the activation is not bit-exact (sigmoid: the library's exp, not JS's; relative to max(1, |y|)). */
type Case = NhwcCase & { rtol?: number };

function qmatmul(name: string, s: Spec, seed: number): Case {
  const rng = mulberry32(900 + seed);
  const { lead, k, n, out = 'i8', residual = 'none', act = CLIP, wmax = 63, bias = true, outScale = 0.05, xmin = -6 } = s;
  const d = new GraphDraft();
  const quantize = (v: string, scale: number, q: string) => d.node('QuantizeLinear', q, [v, d.constant(`${q}.scale`, 'f32', [1], Float32Array.of(scale))], {});
  const inputs: Record<string, Tensor> = { x: randomTensor('f32', [...lead, k], rng, { min: xmin, max: 6 }) };
  const xs = inputs.x!.data as Float32Array;
  // Codes at both ends: -128 (x ^ 0x80 = 0) and 127 (255).
  if (xmin < 0) xs.fill(-1000, 0, Math.min(k, 7));
  xs.fill(1000, k, Math.min(2 * k, xs.length));
  if (s.negativeRow !== undefined) xs[s.negativeRow * k + (k >> 1)] = -0.1;
  const w = Int8Array.from({ length: n * k }, () => randomInt(rng, -wmax, wmax));
  if (wmax === 127) w.fill(127, 0, Math.min(6, w.length));
  if (s.edge) for (let i = 0; i < k; ++i) [w[i], w[k + i], w[2 * k + i]] = [64, i % 2 ? 0 : -128, i % 2 ? -1 : 127];
  const ops = [quantize(d.input('x', { dtype: 'f32', shape: [...lead, k] }), 0.04, 'qx'), d.constant('w', 'i8', [n, k], w),
    d.constant('ws', 'f32', [n], Float32Array.from({ length: n }, () => 0.001 + 0.01 * rng()))];
  if (bias || residual !== 'none') ops.push(bias ? d.constant('b', 'f32', [n], Float32Array.from({ length: n }, () => rng() * 2 - 1)) : '');
  if (residual !== 'none') {
    inputs.r = randomTensor('f32', [...lead, n], rng, { min: -3, max: 3 });
    const r = d.input('r', { dtype: 'f32', shape: [...lead, n] });
    ops.push(residual === 'i8' ? quantize(r, 0.03, 'qr') : r);
  }
  d.outputs.push(d.node('QMatMul', 'mm', ops, { xScale: 0.04, outScale: out === 'i8' ? outScale : 0, residualScale: residual === 'i8' ? 0.03 : 0, ...act }));
  const rtol = act.activation === 'sigmoid' ? 1e-6 : 0;
  return { name: `qmatmul ${name}: x [${lead.join(',')},${k}], w [${n},${k}], ${out} out, residual ${residual}, ${String(act.activation)}`, graph: d.graph(), inputs, rtol };
}

export const QMATMUL_CASES: Case[] = [
  qmatmul('one row', { lead: [1], k: 16, n: 16 }, 1),
  qmatmul('rows 5q+4, K 4q+3, N 16q+5 (8-wide last block)', { lead: [1, 4, 6], k: 27, n: 21, out: 'f32', residual: 'f32', act: { activation: 'relu' } }, 2),
  qmatmul('rows 5q+1, K 4q+1, N 16q+13 (padded last block)', { lead: [3, 3, 4], k: 37, n: 45, residual: 'i8', act: { activation: 'none' } }, 3),
  qmatmul('K < 4, N < 8', { lead: [3, 3], k: 3, n: 5, out: 'f32', act: { activation: 'clip', alpha: -0.5, beta: 0.75 } }, 4),
  qmatmul('N = 24 (16 + 8)', { lead: [2, 7, 7], k: 32, n: 24, residual: 'i8', act: { activation: 'none' } }, 5),
  qmatmul('sigmoid (outside the clamp), i8 residual, f32 out', { lead: [4, 5], k: 20, n: 40, out: 'f32', residual: 'i8', act: { activation: 'sigmoid' } }, 6),
  qmatmul('leaky relu, f32 residual, i8 out', { lead: [3, 7], k: 44, n: 19, residual: 'f32', act: { activation: 'leakyRelu', alpha: 0.1 } }, 7),
  qmatmul('no bias', { lead: [2, 9], k: 64, n: 33, out: 'f32', bias: false, act: { activation: 'relu' } }, 8),
  qmatmul('no bias, i8 residual', { lead: [2, 9], k: 12, n: 17, bias: false, residual: 'i8', act: { activation: 'none' } }, 9),
  qmatmul('8-bit weights (two planes on AVX2)', { lead: [2, 4, 5], k: 50, n: 30, wmax: 127 }, 10),
  qmatmul('8-bit weights, large K, f32 out and residual', { lead: [1, 13], k: 301, n: 40, wmax: 127, out: 'f32', residual: 'f32', act: { activation: 'none' } }, 11),
  qmatmul('weights past L1 (channel blocks outer)', { lead: [1, 61], k: 390, n: 70, residual: 'i8', act: { activation: 'none' } }, 12),
  qmatmul('small K, N past the row buffer of the split sums (tiles with the epilogue)', { lead: [2, 9], k: 16, n: 700, residual: 'f32' }, 20),
  qmatmul('many panels, small K (row groups outer)', { lead: [8, 14, 14], k: 16, n: 96 }, 13),
  qmatmul('few panels, wide N (channel ranges split)', { lead: [8, 7, 7], k: 160, n: 200, out: 'f32' }, 14),
  qmatmul('i8 out saturating both ways', { lead: [3, 11], k: 96, n: 24, act: { activation: 'none' } }, 15),
  qmatmul('relu6 past the i8 codes (outScale 0.03: 6 / 0.03 > 127)', { lead: [2, 17], k: 24, n: 40, outScale: 0.03 }, 17),
  qmatmul('relu6 inside the i8 codes (6 / 0.05 = 120: no clamp of the codes)', { lead: [2, 17], k: 24, n: 40, outScale: 0.05 }, 18),
  qmatmul('f32 output of 19 MB (streaming stores)', { lead: [4, 112, 112], k: 16, n: 96, out: 'f32', residual: 'f32' }, 19),
  qmatmul('i8 out past the i32 range (cvtps gives INT_MIN)', { lead: [3, 5], k: 40, n: 16, act: { activation: 'none' }, outScale: 1e-10 }, 16),
  qmatmul('codes >= 0, 2 panels, odd quads (K 4*9-1), N 32+8, f32 out and residual', { lead: [2, 60], k: 35, n: 40, xmin: 0, out: 'f32', residual: 'f32', act: { activation: 'none' } }, 21),
  qmatmul('codes >= 0, weights at the pair limit, K 4*11-2, f32 out, i8 residual', { lead: [1, 37], k: 42, n: 24, xmin: 0, edge: true, out: 'f32', residual: 'i8', act: { activation: 'none' } }, 22),
  qmatmul('codes >= 0 but one in the third panel (both paths), K 4*25, i8 residual', { lead: [4, 45], k: 100, n: 33, xmin: 0, negativeRow: 170, residual: 'i8', act: { activation: 'none' } }, 23),
  qmatmul('codes >= 0, 8-bit weights (two planes: tiles), K 4*3, N 16+4', { lead: [3, 7], k: 12, n: 20, xmin: 0, wmax: 127, act: { activation: 'relu' } }, 24),
  qmatmul('codes >= 0, K 4*1-1 (one quad: no two-quad step)', { lead: [2, 5], k: 3, n: 16, xmin: 0, out: 'f32' }, 25),
  qmatmul('codes >= 0, K 4*75-1 (weights past L1), f32 out and residual', { lead: [1, 30], k: 299, n: 70, xmin: 0, out: 'f32', residual: 'f32' }, 26),
];

/** The first element of `c` that is not bit for bit the interpreter's (f32 too, but for c.rtol), or undefined. */
export const exactMismatch = (c: Case) => mismatch(c, c.rtol ?? 0);

if (process.argv[1]?.endsWith('qmatmul-case.ts')) {
  const bad = (await Promise.all(QMATMUL_CASES.map(exactMismatch))).filter((m) => m !== undefined);
  console.log(bad.length === 0 ? 'ok' : bad.join('\n'));
  process.exit(bad.length === 0 ? 0 : 1);
}
