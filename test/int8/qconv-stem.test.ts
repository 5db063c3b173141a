// QConv on stem shapes (1 to 4 input channels: native/cpu/int8-stem.h's path) against
// the interpreter, bit for bit: strides 1 to 3, kernels 1 to 7, padding, dilation,
// odd sizes, groups of channels past 64, 7- and 8-bit weights, f32 and i8 outputs,
// relu / clip / none / sigmoid; QConv's im2col GEMM with 8-bit weights beside them;
// stems that quantize the f32 input themselves and / or write NHWC;
// then the same cases on the paths this CPU would not
// take (the portable dot rows, the im2col GEMM), each in a child process.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IM2COL_CASES, STEM_CASES, STEM_IO_CASES, stemMismatch } from './qconv-stem-cases.js';

describe('int8 stem convs against the interpreter', () => {
  for (const [i, c] of [...STEM_CASES, ...IM2COL_CASES, ...STEM_IO_CASES].entries()) {
    it(c.name, async () => {
      expect(await stemMismatch(c, 100 + i)).toBeUndefined();
      expect(await stemMismatch(c, 200 + i, 0)).toBeUndefined();
    });
  }

  const child = join(import.meta.dirname, 'qconv-stem-cases.ts');
  for (const env of [{ KILN_INT8_TILE: 'none' }, { KILN_INT8_STEM: '0' }, { KILN_INT8_TILE: 'avx2' }] as Record<string, string>[]) {
    it(`every case under ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`, () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
      expect(`${r.stdout}${r.stderr}`.trim().split('\n').pop()).toBe('ok');
      expect(r.status).toBe(0);
    }, 300_000);
  }
});
