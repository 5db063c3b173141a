// Property: symbolic shape inference agrees with static inference. For random layers
// (slices, windows, reshapes, splits, pads, concats, resizes, broadcasts) over inputs
// with a symbolic dim, and random sizes for the symbols: wherever the needs the
// symbolic inference recorded hold, evaluating its output shapes gives exactly what
// inference computes on the concrete input shapes. Where they fail, the profile check
// would refuse the sizes, so nothing is claimed there.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evalDim, getOp, inferNode, resolveShape, type Attrs, type Dim, type ShapeNeed, type TensorType } from '../../src/ir/index.js';

interface Case {
  op: string;
  inputs: TensorType[];
  attrs: Attrs;
  outputs?: number;
}

const f32 = (...shape: Dim[]): TensorType => ({ dtype: 'f32', shape });
const BIG = 2 ** 62;

const node = (c: Case) => ({ name: 'L', op: c.op, inputs: c.inputs.map((_, i) => `x${i}`), outputs: Array.from({ length: c.outputs ?? 1 }, (_, i) => `y${i}`), attrs: c.attrs });

/** Symbolic vs static inference of one case at sizes n (and m) for the symbols. */
function agrees(c: Case, binding: Record<string, number>): void {
  const needs: ShapeNeed[] = [];
  const symbolic = inferNode(node(c), c.inputs, needs);
  const holds = needs.every((s) => {
    const [a, b] = [evalDim(s.a, binding), evalDim(s.b, binding)];
    return s.kind === 'eq' ? a === b : a >= b;
  });
  if (!holds) return;
  const concrete = c.inputs.map((t) => ({ dtype: t.dtype, shape: resolveShape(t.shape, binding) }));
  // As specialization does: 'dims' attributes (Reshape, Expand targets) bind too.
  const attrs = Object.fromEntries(Object.entries(c.attrs).map(([k, v]) => [k, getOp(c.op).attrs[k]?.kind === 'dims' ? resolveShape(v as Dim[], binding) : v]));
  const want = inferNode(node({ ...c, attrs }), concrete).map((t) => t.shape);
  expect(symbolic.map((t) => resolveShape(t.shape, binding)), `${c.op} ${JSON.stringify(c.attrs)} at ${JSON.stringify(binding)}; needs ${needs.map((s) => s.text).join('; ')}`).toEqual(want);
}

const size = fc.integer({ min: 1, max: 40 });

const sliceCase = fc.record({
  start: fc.oneof(fc.integer({ min: -12, max: 12 }), fc.constantFrom(BIG, -BIG)),
  end: fc.oneof(fc.integer({ min: -12, max: 12 }), fc.constantFrom(BIG, -BIG)),
  step: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: -3, max: -1 })),
}).map(({ start, end, step }): Case => ({ op: 'Slice', inputs: [f32('n', 2)], attrs: { starts: [start], ends: [end], axes: [0], steps: [step] } }));

const windowCase = fc.record({
  k: fc.integer({ min: 1, max: 5 }), s: fc.integer({ min: 1, max: 3 }), pb: fc.integer({ min: 0, max: 2 }), pe: fc.integer({ min: 0, max: 2 }), d: fc.integer({ min: 1, max: 2 }), deconv: fc.boolean(), pool: fc.boolean(),
}).map(({ k, s, pb, pe, d, deconv, pool }): Case => {
  if (pool) return { op: 'Pool', inputs: [f32('b', 2, 'n')], attrs: { mode: 'max', kernel: [k], strides: [s], padsBegin: [Math.min(pb, k - 1)], padsEnd: [Math.min(pe, k - 1)] } };
  const op = deconv ? 'ConvTranspose' : 'Conv';
  return { op, inputs: [f32('b', 2, 'n'), f32(2, 2, k)], attrs: { strides: [s], padsBegin: [pb], padsEnd: [pe], dilations: [d] } };
});

const reshapeCase = fc.record({ a: fc.integer({ min: 1, max: 6 }), b: fc.integer({ min: 1, max: 6 }), where: fc.integer({ min: 0, max: 2 }) })
  .map(({ a, b, where }): Case => {
    const targets: Dim[][] = [[-1, b], ['n', -1], [a, 'm', -1]];
    return { op: 'Reshape', inputs: [f32('n', a * b, 'm')], attrs: { shape: targets[where]! } };
  });

const splitCase = fc.integer({ min: 1, max: 4 }).map((parts): Case => ({ op: 'Split', inputs: [f32(3, 'n')], attrs: { axis: 1 }, outputs: parts }));

const padCase = fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -3, max: 3 }), fc.constantFrom('constant', 'edge'))
  .map(([b, e, mode]): Case => ({ op: 'Pad', inputs: [f32('n', 2)], attrs: { pads: [b, 0, e, 0], mode } }));

const miscCase = fc.constantFrom<Case>(
  { op: 'Concat', inputs: [f32('n', 2), f32('m', 2), f32(3, 2)], attrs: { axis: 0 } },
  { op: 'Tile', inputs: [f32('n', 'm')], attrs: { repeats: [3, 2] } },
  { op: 'Resize', inputs: [f32(1, 1, 'n', 'm')], attrs: { scales: [1, 1, 2, 0.5] } },
  { op: 'Resize', inputs: [f32(1, 1, 'n', 'm')], attrs: { scales: [1, 1, 1.5, 0.25] } },
  { op: 'SpaceToDepth', inputs: [f32('b', 2, 'n', 'm')], attrs: { blocksize: 2 } },
  { op: 'DepthToSpace', inputs: [f32('b', 8, 'n', 'm')], attrs: { blocksize: 2 } },
  { op: 'Add', inputs: [f32('n', 1, 3), f32('m', 3)], attrs: {} },
  { op: 'MatMul', inputs: [f32('b', 'n', 'm'), f32('m', 4)], attrs: {} },
  { op: 'Expand', inputs: [f32(1, 'm')], attrs: { shape: ['n', 1] } },
  { op: 'Split', inputs: [f32('n')], attrs: { split: [2, 3] }, outputs: 2 },
);

describe('symbolic shape inference agrees with static inference', () => {
  const binding = fc.record({ n: size, m: size, b: fc.integer({ min: 1, max: 4 }) });
  for (const [name, arb] of Object.entries({ slice: sliceCase, window: windowCase, reshape: reshapeCase, split: splitCase, pad: padCase, misc: miscCase })) {
    it(name, () => {
      fc.assert(fc.property(arb, binding, (c, bind) => agrees(c, bind)), { numRuns: 400 });
    });
  }
});
