// activation-accuracy.test.ts on the portable vector build (vec-kernels.inc for the
// baseline ISA), forced before the first kernel runs: this file runs in its own process.
import { expect, it } from 'vitest';
import { native } from '../../src/runtime/native.js';
import './activation-accuracy.test.js';

process.env.KILN_VEC_KERNELS = 'generic';

it('runs the portable build', () => {
  expect(native().fmaPeak(1).isa).toBe('generic');
});
