// Every op in the registry can be built for the CPU: an op without a lowering would
// import and interpret but fail at build time.
import { describe, expect, it } from 'vitest';
import { hasCpuKernel } from '../../codegen/index.js';
import { allOps } from '../../src/ir/index.js';

describe('CPU lowering coverage', () => {
  it('every registered op has a CPU lowering', () => {
    expect(allOps().filter((d) => !hasCpuKernel(d.name)).map((d) => d.name)).toEqual([]);
  });
});
