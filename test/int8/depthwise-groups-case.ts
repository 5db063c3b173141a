// QConvNhwc's 3x3 stride-1 rows on channel counts of 64 and more (the zmm rows take
// whole groups of 64 channels by in-lane unpacks, the blocks past them by 16) against
// the interpreter, bit for bit: whole groups only (64, 128), groups plus blocks plus a
// tail (144, 200), widths that leave only edges, one tile, tiles and pairs and single
// pixels; heights leaving 1, 2 or 3 rows after 4-row steps; one image (the blocks
// split between threads, ranges not on group bounds) and several; i8 outputs (the
// groups' path) with clip, relu and none, with and without bias, an outScale that puts
// v / outScale past 2^31; f32 outputs. Saturated codes (-128, 127) under the weights'
// full range give the largest sums. depthwise-groups.test.ts runs these; run directly,
// this prints 'ok' or the mismatches.
import { mulberry32, randomInt, randomTensor, type Rng } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { rowsMismatch } from './depthwise-nhwc-case.js';
import type { NhwcCase } from './nhwc-case.js';

const SHAPES: { n: number; h: number; w: number; c: number; pads: [number, number, number, number]; outScale?: number }[] = [
  { n: 1, h: 5, w: 9, c: 64, pads: [1, 1, 1, 1] },
  { n: 2, h: 7, w: 6, c: 144, pads: [1, 1, 1, 1] },
  { n: 1, h: 6, w: 2, c: 128, pads: [1, 1, 1, 1] },
  { n: 1, h: 9, w: 11, c: 200, pads: [0, 1, 2, 1] },
  { n: 3, h: 4, w: 14, c: 192, pads: [1, 1, 1, 1] },
  { n: 1, h: 3, w: 7, c: 64, pads: [0, 0, 0, 0] },
  { n: 1, h: 8, w: 5, c: 144, pads: [2, 2, 2, 2], outScale: 1e-10 },
  { n: 8, h: 7, w: 7, c: 320, pads: [1, 1, 1, 1] },
];
const ACTS: Record<string, string | number>[] = [{ activation: 'clip', alpha: 0, beta: 6 }, { activation: 'relu' }, { activation: 'none' }];

const codes = (rng: Rng, n: number) => Int8Array.from({ length: n }, (_, i) => (i % 13 === 0 ? -128 : i % 29 === 0 ? 127 : randomInt(rng, -128, 127)));
const floats = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());

/** Case `i`: shape i / 2, i8 output for even i, f32 for odd; activation and bias vary with i. */
function groupsCase(i: number): NhwcCase {
  const s = SHAPES[i >> 1]!;
  const rng = mulberry32(1700 + i);
  const outScale = i % 2 ? 0 : s.outScale ?? 0.05;
  const act = ACTS[i % ACTS.length]!;
  const bias = i % 4 !== 2;
  const d = new GraphDraft();
  const xs = d.input('x', { dtype: 'f32', shape: [s.n, s.h, s.w, s.c] });
  const x = d.node('QuantizeLinear', 'qx', [xs, d.constant('qx.scale', 'f32', [1], Float32Array.of(0.05))], {});
  const ops = [x, d.constant('w', 'i8', [s.c, 1, 3, 3], codes(rng, s.c * 9)), d.constant('ws', 'f32', [s.c], floats(rng, s.c, 0.0002, 0.002))];
  if (bias) ops.push(d.constant('b', 'f32', [s.c], floats(rng, s.c, -1, 1)));
  const attrs = { strides: [1, 1], padsBegin: s.pads.slice(0, 2), padsEnd: s.pads.slice(2), dilations: [1, 1], xScale: 0.05, outScale, ...act };
  d.outputs.push(d.node('QConvNhwc', 'dw', ops, attrs));
  const input = randomTensor('f32', [s.n, s.h, s.w, s.c], rng, { min: -7, max: 7 });
  const data = input.data as Float32Array;
  data.fill(-1000, 0, Math.min(data.length, 3 * s.c));
  data.fill(1000, Math.min(data.length, 3 * s.c), Math.min(data.length, 5 * s.c));
  const name = `x [${s.n},${s.h},${s.w},${s.c}] pads ${s.pads.join(',')}, ${outScale ? 'i8' : 'f32'} out, ${String(act.activation)}${bias ? '' : ', no bias'}`;
  return { name, graph: d.graph(), inputs: { x: input } };
}

export const GROUP_CASES = SHAPES.flatMap((_, i) => [groupsCase(2 * i), groupsCase(2 * i + 1)]);

if (process.argv[1]?.endsWith('depthwise-groups-case.ts')) {
  const bad: string[] = [];
  for (const c of GROUP_CASES) {
    const m = await rowsMismatch(c, true);
    if (m) bad.push(m);
  }
  console.log(bad.length === 0 ? `ok (${GROUP_CASES.length} cases)` : bad.join('\n'));
  process.exit(bad.length === 0 ? 0 : 1);
}
