// The DYNS section of the plan format (native/PLAN_FORMAT.md): a hand-made dynamic
// plan round-trips and runs at several shapes; a desc whose shapes break the rules
// is refused by serializePlan, and lies inside a file are refused by the reader,
// each naming what is wrong.
import { describe, expect, it } from 'vitest';
import type { PlanDynamic } from '../../codegen/plan-desc.js';
import { PlanBuilder, fixChecksum, kiln } from '../native/plan-fixtures.js';
import { errorOf } from './runtime-helpers.js';

/** x[n,3] -> relu -> y[n,3], capacity n = 4, one profile n in 1..4. */
function reluPlan(dims: number[][] = [[1, 0], [0, 3]]) {
  const b = new PlanBuilder();
  const x = b.input('x', [4, 3]);
  const y = b.tensor('y', [4, 3]);
  b.layer('unary', [x], [y], [1], [0, 0], 'relu');
  b.output(y);
  const dynamic: PlanDynamic = {
    symbols: [{ name: 'n', input: 0, dim: 0 }],
    profiles: [{ min: [[1, 3]], opt: [[2, 3]], max: [[4, 3]] }],
    tensors: [{ tensor: x, dims: [[1, 0], [0, 3]] }, { tensor: y, dims }],
  };
  return b.desc({ dynamic });
}

/** Offset of the DYNS payload in a plan. */
function dynsAt(plan: Uint8Array): number {
  const v = new DataView(plan.buffer, plan.byteOffset, plan.byteLength);
  let at = v.getUint32(12, true);
  while (at < plan.length) {
    if (String.fromCharCode(...plan.subarray(at, at + 4)) === 'DYNS') return at + 16;
    at += 16 + Number(v.getBigUint64(at + 8, true));
  }
  throw new Error('no DYNS section');
}

describe('DYNS section', () => {
  const k = kiln();

  it('round-trips and runs at every shape in range, outputs at their run-time shape', async () => {
    const bytes: Uint8Array = k.serializePlan(reluPlan());
    const engine = new k.Engine(bytes);
    const info = engine.info();
    expect(info.formatVersion).toBe(4);
    expect(info.inputs[0].dims).toEqual(['n', 3]);
    expect(info.profiles).toEqual([{ x: { min: [1, 3], opt: [2, 3], max: [4, 3] } }]);
    const ctx = new k.Context(engine, 1);
    for (const n of [1, 4, 2]) {
      const data = Float32Array.from({ length: n * 3 }, (_, i) => i - 4);
      const [out] = await ctx.run([{ name: 'x', data, shape: [n, 3] }]);
      expect(out.shape).toEqual([n, 3]);
      expect(Array.from(out.data)).toEqual(Array.from(data, (v) => Math.max(0, v)));
    }
  });

  it('serializePlan refuses a shape that outgrows its capacity, bad programs and ranges', () => {
    expect(errorOf(() => k.serializePlan(reluPlan([[1, 0, 0, 2, 4], [0, 3]])))).toEqual({
      code: 'KILN_PLAN_INVALID',
      message: "optimization profile 0: tensor 'y' [n*2,3] would be [8,3] at n=4, larger than the [4,3] the arena was planned for",
    });
    expect(errorOf(() => k.serializePlan(reluPlan([[1, 0, 42], [0, 3]]))).message).toBe("tensor 'y' dim 0: its dim program has unknown word 42 at 2");
    expect(errorOf(() => k.serializePlan(reluPlan([[1, 0, 0, 2], [0, 3]]))).message).toBe("tensor 'y' dim 0: its dim program leaves 2 values instead of one");
    expect(errorOf(() => k.serializePlan(reluPlan([[1, 5], [0, 3]]))).message).toBe("tensor 'y' dim 0: its dim program refers to symbol 5 but the plan has 1");
    const wide = reluPlan();
    wide.dynamic!.profiles[0]!.max = [[9, 3]];
    expect(errorOf(() => k.serializePlan(wide)).message).toBe("optimization profile 0 input 'x' dim 0: max 9 exceeds the planned capacity 4");
    const fixedRange = reluPlan();
    fixedRange.dynamic!.profiles[0]!.min = [[1, 2]];
    expect(errorOf(() => k.serializePlan(fixedRange)).message).toBe("optimization profile 0 input 'x' dim 1 is fixed at 3 but has range 2..3");
  });

  it('the reader refuses lies in DYNS with KILN_PLAN_CORRUPT, naming the symbol, profile or tensor', () => {
    const good: Uint8Array = k.serializePlan(reluPlan());
    const at = dynsAt(good);
    const patch = (fn: (v: DataView) => void) => {
      const bad = good.slice();
      fn(new DataView(bad.buffer));
      return errorOf(() => new k.Engine(fixChecksum(bad)));
    };
    // u32 nSymbols, then name, input, dim; u32 nProfiles, then i64 min, opt, max of every input dim; tensors.
    expect(patch((v) => v.setUint32(at + 8, 9, true))).toEqual({ code: 'KILN_PLAN_CORRUPT', message: "plan shape symbol 'n' refers to input 9 dim 0, which the plan does not have" });
    const profiles = at + 4 + 12;
    const maxN = profiles + 4 + 2 * 16;
    expect(patch((v) => v.setBigInt64(maxN, 100n, true)).message).toBe("optimization profile 0 input 'x' dim 0: max 100 exceeds the planned capacity 4");
    expect(patch((v) => v.setUint32(profiles, 1000, true)).message).toBe('plan has too many optimization profiles (1000)');
    const programs = profiles + 4 + 3 * 16 + 4 + 4; // nDynamic, tensor index, then dim 0's length and words
    expect(patch((v) => v.setBigInt64(programs + 4, 7n, true)).message).toBe("tensor 'x' dim 0: its dim program word 0 needs two operands");
    expect(patch((v) => v.setUint32(8, 1, true)).code).toBe('KILN_PLAN_VERSION');
  });
});
