// The NHWC int8 kernels (qmatmul, qconv-nhwc) against the interpreter: the AVX2
// cores in this process, the portable ones in a child with KILN_INT8_TILE=none
// (the choice is made once per process). Cases: nhwc-case.ts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASES, mismatch } from './nhwc-case.js';

describe('NHWC int8 kernels against the interpreter', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      expect(await mismatch(c)).toBeUndefined();
    });
  }

  it('the portable cores (KILN_INT8_TILE=none)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'nhwc-case.ts')], { env: { ...process.env, KILN_INT8_TILE: 'none' }, encoding: 'utf8', timeout: 180_000 });
    expect(`${r.stdout}${r.stderr}`.trim().split('\n').pop()).toBe('ok');
    expect(r.status).toBe(0);
  });
});
