// The int8 paths this CPU would not pick: KILN_INT8_TILE=none forces QConv onto the
// portable int8DotRows path (a CPU without AVX2), =avx2 the AVX2 tile where a VNNI
// tile would run, KILN_INT8_WINOGRAD=0 the direct GEMM where a 3x3 stride-1 conv would
// take Winograd. The choice is made once per process, so each runs in a child.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const child = join(import.meta.dirname, 'qconv-case.ts');

describe('int8 fallbacks against the interpreter', () => {
  const cases: Record<string, string>[] = [{ KILN_INT8_TILE: 'none' }, { KILN_INT8_TILE: 'avx2' }, { KILN_INT8_WINOGRAD: '0' }];
  for (const env of cases) {
    it(Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' '), () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
      expect(`${r.stdout}${r.stderr}`.trim().split('\n').pop()).toBe('ok');
      expect(r.status).toBe(0);
    });
  }
});
