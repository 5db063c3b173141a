// concat with inputs already at their slice of the output (the memory planner's concat
// elimination): those inputs are not copied, the others are, and an input lying inside
// the output anywhere but at its own slice is refused at load (strided views, the
// batch > 1 case: concat-strided.test.ts).
import { describe, expect, it } from 'vitest';
import { PlanBuilder, expectClose, kiln, rng, runPlan } from './plan-fixtures.js';

const R = rng(77);

describe('concat in place', () => {
  it('skips inputs at their slice and copies the rest', async () => {
    const p = new PlanBuilder();
    const x = p.input('x', [1, 2, 4]);
    // y spans 3 slices of 8 floats; a and c live inside it, b elsewhere.
    const y = p.tensorAt('y', [1, 6, 4], 1024);
    const a = p.tensorAt('a', [1, 2, 4], 1024);
    const b = p.tensor('b', [1, 2, 4]);
    const c = p.tensorAt('c', [1, 2, 4], 1024 + 64);
    p.layer('unary', [x], [a], [1], [0, 0], 'relu');
    p.layer('unary', [x], [b], [3], [0, 0], 'tanh');
    p.layer('unary', [x], [c], [2], [0, 0], 'sigmoid');
    p.layer('concat', [a, b, c], [y], [1], [], 'cat');
    p.output(y);
    const xs = R.floats(8, -2, 2);
    const out = await runPlan(p.desc(), { x: { data: xs, shape: [1, 2, 4] } });
    const expected = [...xs.map((v) => Math.max(v, 0)), ...xs.map(Math.tanh), ...xs.map((v) => 1 / (1 + Math.exp(-v)))];
    expectClose(out.y.data, expected, 1e-6, 'concat in place');
  });

  it('refuses an input inside the output but off its slice, and a dense input inside a multi-row output', () => {
    const k = kiln();
    const build = (shape: number[], offsetOfB: number) => {
      const p = new PlanBuilder();
      const x = p.input('x', shape);
      const y = p.tensorAt('y', [shape[0]!, 2 * shape[1]!, ...shape.slice(2)], 4096);
      const a = p.tensor('a', shape);
      const b = p.tensorAt('b', shape, offsetOfB);
      p.layer('unary', [x], [a], [1], [0, 0], 'r1');
      p.layer('unary', [x], [b], [1], [0, 0], 'r2');
      p.layer('concat', [a, b], [y], [1], [], 'cat');
      p.output(y);
      return () => new k.Engine(k.serializePlan(p.desc()));
    };
    expect(build([1, 2, 4], 4096 + 32)).not.toThrow();
    expect(build([1, 2, 4], 4096)).toThrow(/input 'b' f32\[1,2,4\] lies inside output 'y' f32\[1,4,4\] but not at its slice \(byte 32/);
    // Two output rows: only a strided view (test/native/concat-strided.test.ts) can sit at its slice.
    expect(build([2, 2, 4], 4096 + 32)).toThrow(/lies inside output 'y' f32\[2,4,4\] but not at its slice \(byte 32 of each 64-byte output row\)/);
  });
});
