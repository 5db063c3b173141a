// QConvNhwc's 3x3 row kernel (int8-depthwise-avx2.cc) against the interpreter, exactly:
// strides 1x1, 2x2, 1x2 and 2x1; widths that leave only edge pixels, one tile, tiles
// and single pixels; odd and even output heights (a last band of one output row);
// channel counts past the last 8-channel block (1, 3, 12, 13, 20, 33, 45) and whole
// blocks; output heights leaving 1, 2 or 3 rows after 4-row steps; padding none,
// symmetric, asymmetric and wider than the window; i8 and f32 outputs, i8 with an
// outScale so small that v / outScale passes 2^31; clip(0,6) (MobileNet's), relu,
// none, sigmoid; with and without bias. The
// inputs hold saturated codes (-128 and 127) under the weights' full 8-bit range, so
// the largest sums (9 * 128 * 128) occur. depthwise-nhwc.test.ts runs these in its
// process and, as a child with KILN_INT8_TILE=none, on the portable cores; run
// directly, this prints 'ok' or the mismatches.
import { interpret, mulberry32, randomInt, randomTensor, type Rng, type Tensor } from '../../src/interpret/index.js';
import { GraphDraft } from '../../passes/quantize-graph.js';
import { buildPlan, runPlan } from '../engine/helpers.js';
import { mismatch, type NhwcCase } from './nhwc-case.js';

interface Shape {
  n: number;
  h: number;
  w: number;
  c: number;
  strides: [number, number];
  /** top, left, bottom, right */
  pads: [number, number, number, number];
  /** The i8 case's outScale (default 0.05); tiny ones put v / outScale past 2^31. */
  outScale?: number;
}

const SHAPES: Shape[] = [
  { n: 2, h: 1, w: 1, c: 8, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 2, h: 2, w: 2, c: 20, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 2, h: 5, w: 7, c: 20, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 1, h: 6, w: 13, c: 33, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 2, h: 7, w: 14, c: 16, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 2, h: 5, w: 11, c: 8, strides: [1, 1], pads: [0, 0, 0, 0] },
  { n: 1, h: 4, w: 9, c: 1, strides: [1, 1], pads: [2, 2, 2, 2] },
  { n: 2, h: 9, w: 17, c: 16, strides: [2, 2], pads: [1, 1, 1, 1] },
  { n: 2, h: 8, w: 12, c: 45, strides: [2, 2], pads: [1, 1, 1, 1] },
  { n: 1, h: 6, w: 14, c: 12, strides: [2, 2], pads: [0, 0, 1, 1] },
  { n: 2, h: 3, w: 3, c: 64, strides: [2, 2], pads: [1, 1, 1, 1] },
  { n: 2, h: 7, w: 10, c: 3, strides: [1, 2], pads: [1, 1, 1, 1] },
  { n: 1, h: 10, w: 9, c: 24, strides: [2, 1], pads: [1, 0, 0, 1] },
  { n: 1, h: 4, w: 23, c: 40, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 2, h: 17, w: 9, c: 20, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 1, h: 11, w: 12, c: 16, strides: [1, 1], pads: [1, 1, 1, 1] },
  { n: 1, h: 6, w: 10, c: 24, strides: [1, 1], pads: [1, 1, 1, 1], outScale: 1e-10 },
  { n: 2, h: 9, w: 9, c: 13, strides: [2, 2], pads: [1, 1, 1, 1], outScale: 1e-10 },
];
const ACTS: Record<string, string | number>[] = [{ activation: 'clip', alpha: 0, beta: 6 }, { activation: 'relu' }, { activation: 'none' }, { activation: 'sigmoid' }];

const codes = (rng: Rng, n: number) => Int8Array.from({ length: n }, (_, i) => (i % 17 === 0 ? -128 : randomInt(rng, -128, 127)));
const floats = (rng: Rng, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng());

/** Case `i`: shape i / 2, f32 output for odd i, i8 for even; activation and bias vary with i. */
export function rowsCase(i: number): NhwcCase {
  const s = SHAPES[i >> 1]!;
  const rng = mulberry32(900 + i);
  const outScale = i % 2 ? 0 : s.outScale ?? 0.05;
  const act = ACTS[(i >> 1) % ACTS.length]!;
  const bias = i % 3 !== 2;
  const d = new GraphDraft();
  const xs = d.input('x', { dtype: 'f32', shape: [s.n, s.h, s.w, s.c] });
  const x = d.node('QuantizeLinear', 'qx', [xs, d.constant('qx.scale', 'f32', [1], Float32Array.of(0.05))], {});
  const ops = [x, d.constant('w', 'i8', [s.c, 1, 3, 3], codes(rng, s.c * 9)), d.constant('ws', 'f32', [s.c], floats(rng, s.c, 0.0002, 0.002))];
  if (bias) ops.push(d.constant('b', 'f32', [s.c], floats(rng, s.c, -1, 1)));
  const attrs = { strides: s.strides, padsBegin: s.pads.slice(0, 2), padsEnd: s.pads.slice(2), dilations: [1, 1], xScale: 0.05, outScale, ...act };
  d.outputs.push(d.node('QConvNhwc', 'dw', ops, attrs));
  const input = randomTensor('f32', [s.n, s.h, s.w, s.c], rng, { min: -7, max: 7 });
  // Saturated codes where the largest sums come from: whole pixels of -128, then of 127.
  const data = input.data as Float32Array;
  data.fill(-1000, 0, Math.min(data.length, 3 * s.c));
  data.fill(1000, Math.min(data.length, 3 * s.c), Math.min(data.length, 5 * s.c));
  const name = `x [${s.n},${s.h},${s.w},${s.c}] stride ${s.strides.join('x')} pads ${s.pads.join(',')}, ${outScale ? 'i8' : 'f32'} out, ${String(act.activation)}${bias ? '' : ', no bias'}`;
  return { name, graph: d.graph(), inputs: { x: input } };
}

/** Whether case `i` takes the AVX2 row kernel (equal strides, a clamp activation) rather than the cores. */
export const takesRows = (i: number) => SHAPES[i >> 1]!.strides[0] === SHAPES[i >> 1]!.strides[1] && ACTS[(i >> 1) % ACTS.length]!.activation !== 'sigmoid';

/**
 * The first element of `c` at optimization level 0 or 3 whose bits differ from the
 * interpreter's, or undefined: the row kernel rounds as the interpreter does, f32
 * outputs included. `exact` false: nhwc-case.ts's check (f32 within 1e-6 relative).
 */
export async function rowsMismatch(c: NhwcCase, exact: boolean): Promise<string | undefined> {
  if (!exact) return mismatch(c);
  const bits = (t: Tensor) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const expected = interpret(c.graph, c.inputs);
  for (const level of [0, 3]) {
    const actual = await runPlan(buildPlan(c.graph, level), c.inputs);
    for (const name of c.graph.outputs) {
      const [e, a] = [bits(expected[name]!), bits(actual[name]!)];
      const width = expected[name]!.data.BYTES_PER_ELEMENT;
      const bad = e.length !== a.length ? 0 : e.findIndex((v, i) => v !== a[i]);
      if (bad >= 0) {
        const at = Math.floor(bad / width);
        return `${c.name} O${level}: element ${at} is ${String(actual[name]!.data[at])} (${actual[name]!.dtype}), the interpreter gives ${String(expected[name]!.data[at])} (${expected[name]!.dtype})`;
      }
    }
  }
  return undefined;
}

export const ROWS_CASES = SHAPES.flatMap((_, i) => [rowsCase(2 * i), rowsCase(2 * i + 1)]);

if (process.argv[1]?.endsWith('depthwise-nhwc-case.ts')) {
  const bad = (await Promise.all(ROWS_CASES.map((c) => mismatch(c)))).filter((m) => m !== undefined);
  console.log(bad.length === 0 ? 'ok' : bad.join('\n'));
  process.exit(bad.length === 0 ? 0 : 1);
}
