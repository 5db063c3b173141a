// Every int8 kernel case of test/int8 on this CPU's cores against the interpreter, in
// one process: the qmatmul cases and the NHWC / depthwise-row (and 64-channel group) cases bit for bit, the
// stem and im2col QConv cases. For hosts where vitest does not run (test/bench/
// OTHER-HOSTS.md bundles it with esbuild): there it is how the VNNI and AVX-512 paths,
// which this project's own AVX2 host cannot execute, are checked.
// `npx tsx test/int8/check-cores.ts` (KILN_INT8_TILE=avx2 / none picks the slower cores);
// prints the case count and each mismatch, exit code 1 on any.
import { QMATMUL_CASES, exactMismatch } from './qmatmul-case.js';
import { ROWS_CASES, rowsMismatch, takesRows } from './depthwise-nhwc-case.js';
import { CASES, mismatch } from './nhwc-case.js';
import { GROUP_CASES } from './depthwise-groups-case.js';
import { IM2COL_CASES, STEM_CASES, STEM_IO_CASES, stemMismatch } from './qconv-stem-cases.js';

const bad: string[] = [];
const keep = (m: string | undefined) => m !== undefined && bad.push(m);
for (const c of QMATMUL_CASES) keep(await exactMismatch(c));
for (const [i, c] of ROWS_CASES.entries()) keep(await rowsMismatch(c, takesRows(i)));
for (const c of CASES) keep(await mismatch(c));
for (const c of GROUP_CASES) keep(await rowsMismatch(c, true));
for (const [i, c] of [...STEM_CASES, ...IM2COL_CASES, ...STEM_IO_CASES].entries()) keep(await stemMismatch(c, 100 + i));
const count = QMATMUL_CASES.length + ROWS_CASES.length + CASES.length + GROUP_CASES.length + STEM_CASES.length + IM2COL_CASES.length + STEM_IO_CASES.length;
console.log(`check-cores (KILN_INT8_TILE=${process.env.KILN_INT8_TILE ?? 'default'}): ${count} cases, ${bad.length} mismatches`);
for (const b of bad) console.log(b);
process.exit(bad.length === 0 ? 0 : 1);
