// Every int8 kernel case of test/int8 on this CPU's cores against the interpreter, in
// one process: the qmatmul cases and the NHWC / depthwise-row (and 64-channel group) cases bit for bit, the
// stem, im2col and Winograd QConv cases. For hosts where vitest does not run (test/bench/
// OTHER-HOSTS.md bundles it with esbuild): there it is how the VNNI and AVX-512 paths,
// which this project's own AVX2 host cannot execute, are checked.
// `npx tsx test/int8/check-cores.ts` (KILN_INT8_TILE=avx2 / none picks the slower cores);
// prints the case count and each mismatch, exit code 1 on any.
import { QMATMUL_CASES, exactMismatch } from './qmatmul-case.js';
import { ROWS_CASES, rowsMismatch, takesRows } from './depthwise-nhwc-case.js';
import { CASES, mismatch } from './nhwc-case.js';
import { GROUP_CASES } from './depthwise-groups-case.js';
import { IM2COL_CASES, STEM_CASES, STEM_IO_CASES, stemMismatch, type StemCase } from './qconv-stem-cases.js';

// 3x3 stride-1 QConvs of 5+ input channels: Winograd F(2x2, 3x3) in integers (int8-winograd.h), whose zmm tile
// (8 channels x 32 tiles) and ymm tiles (4 x 24) meet odd channel counts, partial blocks and chunks, rows of
// tiles split between chunks and chunks spanning images.
const wino = (c: Partial<StemCase> & Pick<StemCase, 'name' | 'cin' | 'cout' | 'h' | 'w'>): StemCase => ({
  batch: 2, k: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], wmax: 127, outScale: 0.1, activation: 'relu', bias: true, ...c,
});
const WINOGRAD_CASES: StemCase[] = [
  wino({ name: 'Winograd: 7 -> 13, batch 3, odd 15x17 plane, relu, i8 out', batch: 3, cin: 7, cout: 13, h: 15, w: 17 }),
  wino({ name: 'Winograd: 64 -> 24 on 14x14, clip, f32 out', cin: 64, cout: 24, h: 14, w: 14, outScale: 0, activation: 'clip' }),
  wino({ name: 'Winograd: rows of 35 tiles (split between chunks), pad 0, 6 -> 9, no bias', cin: 6, cout: 9, h: 12, w: 72, pads: [0, 0, 0, 0], bias: false }),
  wino({ name: 'Winograd: pad 2 on a 3x3 plane, 16 -> 8, batch 4, f32 out, no activation', batch: 4, cin: 16, cout: 8, h: 3, w: 3, pads: [2, 2, 2, 2], outScale: 0, activation: 'none' }),
  wino({ name: 'Winograd: 130 -> 40 on 7x7, batch 5 (a partial last chunk), relu6, i8 out', batch: 5, cin: 130, cout: 40, h: 7, w: 7, activation: 'relu6', outScale: 0.05 }),
];
// Where AMX runs (int8-amx.h) every QConv above but the stems takes its GEMM; these add what its 32 x 32 steps
// meet besides: planes of more than 256 pixels (one image a GEMM) whose columns end inside a tile pair, K off the
// 64-k chunks, channel counts off the 32-channel pairs, and a 1x1 stride-2 downsample.
const AMX_CASES: StemCase[] = [
  wino({ name: 'AMX GEMM: 3x3 s1 100 -> 70 on 20x19 (380 pixels, one image a GEMM), clip, f32 out', cin: 100, cout: 70, h: 20, w: 19, outScale: 0, activation: 'clip' }),
  wino({ name: 'AMX GEMM: 1x1 s2 48 -> 24 (downsample), batch 3 on 13x11, no activation, i8 out', batch: 3, cin: 48, cout: 24, h: 13, w: 11, k: [1, 1], stride: [2, 2], pads: [0, 0, 0, 0], activation: 'none' }),
  wino({ name: 'AMX GEMM: 3x3 s2 33 -> 17 on 31x29, relu, i8 out', batch: 1, cin: 33, cout: 17, h: 31, w: 29, stride: [2, 2] }),
];

const bad: string[] = [];
const keep = (m: string | undefined) => m !== undefined && bad.push(m);
// KILN_CHECK_TRACE=1 names each QConv case before it runs: where a kernel crashes the process, the last name says which.
const trace = <T extends { name: string }>(c: T): T => (process.env.KILN_CHECK_TRACE && console.error(c.name), c);
for (const c of QMATMUL_CASES) keep(await exactMismatch(c));
for (const [i, c] of ROWS_CASES.entries()) keep(await rowsMismatch(c, takesRows(i)));
for (const c of CASES) keep(await mismatch(c));
for (const c of GROUP_CASES) keep(await rowsMismatch(c, true));
for (const [i, c] of [...STEM_CASES, ...IM2COL_CASES, ...STEM_IO_CASES].entries()) keep(await stemMismatch(trace(c), 100 + i));
for (const [i, c] of WINOGRAD_CASES.entries()) keep(await stemMismatch(trace(c), 200 + i));
for (const [i, c] of AMX_CASES.entries()) keep(await stemMismatch(trace(c), 300 + i));
const count = QMATMUL_CASES.length + ROWS_CASES.length + CASES.length + GROUP_CASES.length + STEM_CASES.length + IM2COL_CASES.length + STEM_IO_CASES.length + WINOGRAD_CASES.length + AMX_CASES.length;
console.log(`check-cores (KILN_INT8_TILE=${process.env.KILN_INT8_TILE ?? 'default'}): ${count} cases, ${bad.length} mismatches`);
for (const b of bad) console.log(b);
process.exit(bad.length === 0 ? 0 : 1);
