// QMatMul's tile paths (qmatmul-case.ts) against the interpreter, bit for bit: the AVX2 cores in
// this process, the portable ones in a child with KILN_INT8_TILE=none (the choice
// is made once per process).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exactMismatch, QMATMUL_CASES } from './qmatmul-case.js';

describe('QMatMul against the interpreter', () => {
  for (const c of QMATMUL_CASES) {
    it(c.name, async () => {
      expect(await exactMismatch(c)).toBeUndefined();
    });
  }

  it('the portable cores (KILN_INT8_TILE=none)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'qmatmul-case.ts')], { env: { ...process.env, KILN_INT8_TILE: 'none' }, encoding: 'utf8', timeout: 300_000 });
    expect(`${r.stdout}${r.stderr}`.trim().split('\n').pop()).toBe('ok');
    expect(r.status).toBe(0);
  }, 300_000);
});
