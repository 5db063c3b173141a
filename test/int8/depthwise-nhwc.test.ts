// QConvNhwc's 3x3 row kernel against the interpreter: the AVX2 row kernel in this
// process, to the bit (i8 and f32 outputs alike), and the portable cores in a child
// with KILN_INT8_TILE=none (the choice is made once per process). Cases the row kernel
// leaves to the cores (sigmoid, unequal strides) and the portable run have f32 outputs
// checked within 1e-6 relative, as nhwc.test.ts does: the cores' epilogue may fuse its
// multiply and add. Cases: depthwise-nhwc-case.ts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROWS_CASES, rowsMismatch, takesRows } from './depthwise-nhwc-case.js';

describe('QConvNhwc 3x3 rows against the interpreter', () => {
  for (const [i, c] of ROWS_CASES.entries()) {
    it(c.name, async () => {
      expect(await rowsMismatch(c, takesRows(i))).toBeUndefined();
    });
  }

  it('the portable cores (KILN_INT8_TILE=none)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'depthwise-nhwc-case.ts')], { env: { ...process.env, KILN_INT8_TILE: 'none' }, encoding: 'utf8', timeout: 180_000 });
    expect(`${r.stdout}${r.stderr}`.trim().split('\n').pop()).toBe('ok');
    expect(r.status).toBe(0);
  });
});
