// gemmPacked on the portable strip kernel, forced through KILN_GEMM_KERNEL before the
// addon loads (each test file runs in its own process), so machines with AVX2 still
// test what other CPUs run.
import { describe, expect, it } from 'vitest';
import { kiln } from './plan-fixtures.js';
import { check, randomCase } from './gemm-packed-cases.js';

process.env.KILN_GEMM_KERNEL = 'generic';

describe('gemmPacked on the portable kernel', () => {
  it('is the one in use', () => {
    expect(kiln().gemmKernel()).toBe('generic-4x8');
  });

  it('matches the reference at random odd sizes, every activation, bias, residual and transB', async () => {
    for (let trial = 0; trial < 20; trial++) await check(randomCase(trial));
  });
});
