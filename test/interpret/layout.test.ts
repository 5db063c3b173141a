// The layout family in the interpreter: hand-computed cases and the ONNX edge cases
// (clamped and negative slice bounds, uneven splits, negative indices, reflect pads
// wider than the input, every resize coordinate mode), on floats and integers.
import { describe, expect, it } from 'vitest';
import { tensor, tensorValues } from '../../src/interpret/index.js';
import type { Attrs } from '../../src/ir/index.js';
import { buildGraph, expectTensor, runOp, thrown } from './graph-helpers.js';
import { interpret } from '../../src/interpret/index.js';

const iota = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);
const INT64_MAX = 9223372036854775807;
const m24 = tensor('f32', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);

describe('Slice', () => {
  it('ONNX examples: steps, clamped ends', () => {
    expectTensor(runOp('Slice', [m24], { starts: [1, 0], ends: [2, 3], axes: [0, 1], steps: [1, 2] }), 'f32', [1, 2], [5, 7]);
    expectTensor(runOp('Slice', [m24], { starts: [0, 1], ends: [-1, 1000] }), 'f32', [1, 3], [2, 3, 4]);
  });
  it('negative steps walk backwards; INT64 bounds mean "to the end"', () => {
    expectTensor(runOp('Slice', [m24], { starts: [-1], ends: [-INT64_MAX], axes: [1], steps: [-1] }), 'f32', [2, 4], [4, 3, 2, 1, 8, 7, 6, 5]);
    expectTensor(runOp('Slice', [m24], { starts: [20, 3], ends: [0, 0], steps: [-1, -2] }), 'f32', [1, 2], [8, 6]);
  });
  it('starts past the end give an empty dim; negative axes count from the back', () => {
    expectTensor(runOp('Slice', [m24], { starts: [4], ends: [10], axes: [-1] }), 'f32', [2, 0], []);
    expectTensor(runOp('Slice', [m24], { starts: [-3], ends: [-1], axes: [-1] }), 'f32', [2, 2], [2, 3, 6, 7]);
  });
  it('moves i64 unchanged', () => {
    const x = tensor('i64', [3], [1n, 2n ** 62n, -5n]);
    expect([...(runOp('Slice', [x], { starts: [2], ends: [0], steps: [-1] }).data as BigInt64Array)]).toEqual([-5n, 2n ** 62n]);
  });
  it('slices a symbolic dim into an expression', () => {
    const g = buildGraph({ inputs: { x: { dtype: 'f32', shape: ['n', 4] } }, nodes: [{ op: 'Slice', inputs: ['x'], name: 's', attrs: { starts: [0, 1], ends: [INT64_MAX, 3] } }] });
    expect(g.types.s!.shape).toEqual(['n', 2]);
    const h = buildGraph({ inputs: { x: { dtype: 'f32', shape: ['n', 4] } }, nodes: [{ op: 'Slice', inputs: ['x'], name: 's', attrs: { starts: [1], ends: [-1] } }] });
    expect(h.types.s!.shape).toEqual(['n-2', 4]);
    const empty = buildGraph({ inputs: { x: { dtype: 'f32', shape: ['n', 4] } }, nodes: [{ op: 'Slice', inputs: ['x'], name: 's', attrs: { starts: [3], ends: [1] } }] });
    expect(empty.types.s!.shape).toEqual([0, 4]);
  });
  it('refuses bad attributes, naming them', () => {
    expect(thrown(() => runOp('Slice', [m24], { starts: [0], ends: [1], steps: [0] })).message).toBe("layer 'y' (Slice): steps[0] is 0 (input f32[2,4])");
    expect(thrown(() => runOp('Slice', [m24], { starts: [0, 0], ends: [1, 1], axes: [1, -1] })).message).toBe("layer 'y' (Slice): axis -1 appears twice in axes [1,-1] (input f32[2,4])");
    expect(thrown(() => runOp('Slice', [m24], { starts: [0], ends: [1, 2] })).message).toContain('must have one length');
  });
});

describe('Split', () => {
  const run = (x: ReturnType<typeof tensor>, attrs: Attrs, n: number) => {
    const outputs = iota(n).map((k) => `o${k}`);
    const g = buildGraph({ inputs: { x: { dtype: x.dtype, shape: x.shape } }, nodes: [{ op: 'Split', inputs: ['x'], outputs, name: 's', attrs }] });
    return outputs.map((o) => interpret(g, { x })[o]!);
  };
  it('equal parts, given sizes, and the uneven opset-18 split', () => {
    const [a, b] = run(m24, { axis: 1 }, 2);
    expectTensor(a!, 'f32', [2, 2], [1, 2, 5, 6]);
    expectTensor(b!, 'f32', [2, 2], [3, 4, 7, 8]);
    const [c, d] = run(m24, { axis: -1, split: [3, 1] }, 2);
    expectTensor(c!, 'f32', [2, 3], [1, 2, 3, 5, 6, 7]);
    expectTensor(d!, 'f32', [2, 1], [4, 8]);
    expect(run(tensor('i32', [5], iota(5)), { numOutputs: 3 }, 3).map(tensorValues)).toEqual([[0, 1], [2, 3], [4]]);
    expect(run(tensor('i32', [3], iota(3)), { split: [0, 3] }, 2).map((t) => t.shape)).toEqual([[0], [3]]);
  });
  it('refuses sizes that do not add up', () => {
    expect(thrown(() => run(m24, { axis: 1, split: [1, 2] }, 2)).message).toBe("layer 's' (Split): split [1,2] sums to 3, but the axis has 4 elements (input f32[2,4], axis 1)");
  });
});

describe('Gather and GatherElements', () => {
  const data = tensor('f32', [3, 2], [1, 2, 3, 4, 5, 6]);
  it('axis 0 and 1, negative and 2-D and scalar indices', () => {
    expectTensor(runOp('Gather', [data, tensor('i64', [2, 2], [0, 1, 1, 2])]), 'f32', [2, 2, 2], [1, 2, 3, 4, 3, 4, 5, 6]);
    expectTensor(runOp('Gather', [data, tensor('i32', [2], [-1, 0])], { axis: 1 }), 'f32', [3, 2], [2, 1, 4, 3, 6, 5]);
    expectTensor(runOp('Gather', [data, tensor('i32', [], [-3])]), 'f32', [2], [1, 2]);
  });
  it('gathers i64 and bool data', () => {
    const t = runOp('Gather', [tensor('i64', [3], [7n, -8n, 9n]), tensor('i32', [2], [2, 1])]);
    expect([...(t.data as BigInt64Array)]).toEqual([9n, -8n]);
    expectTensor(runOp('Gather', [tensor('bool', [2], [1, 0]), tensor('i32', [3], [1, 1, 0])]), 'bool', [3], [0, 0, 1]);
  });
  it('fails on an index out of range, naming it', () => {
    const e = thrown(() => runOp('Gather', [data, tensor('i64', [2], [0, 3])]));
    expect(e.message).toBe("layer 'y' (Gather): indices[1] = 3 is out of range for axis 0 of input 'data' f32[3,2] (valid: -3..2)");
    expect(thrown(() => runOp('Gather', [data, tensor('f32', [1], [0])])).message).toBe("layer 'y' (Gather): input 'indices' must be i32 or i64, got f32[1]");
  });
  it('GatherElements: the ONNX examples', () => {
    const d = tensor('f32', [2, 2], [1, 2, 3, 4]);
    expectTensor(runOp('GatherElements', [d, tensor('i64', [2, 2], [0, 0, 1, 0])], { axis: 1 }), 'f32', [2, 2], [1, 1, 4, 3]);
    const d3 = tensor('f32', [3, 3], iota(9, 1));
    expectTensor(runOp('GatherElements', [d3, tensor('i32', [2, 3], [1, 2, 0, 2, 0, -3])]), 'f32', [2, 3], [4, 8, 3, 7, 2, 3]);
  });
});

describe('Expand and Tile', () => {
  it('Expand broadcasts both ways', () => {
    const x = tensor('f32', [3, 1], [1, 2, 3]);
    expectTensor(runOp('Expand', [x], { shape: [2, 1, 2] }), 'f32', [2, 3, 2], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expectTensor(runOp('Expand', [x], { shape: [1] }), 'f32', [3, 1], [1, 2, 3]);
    expect(thrown(() => runOp('Expand', [x], { shape: [2, 2] })).message).toBe("layer 'y' (Expand): cannot expand input f32[3,1] to [2,2]: shapes [3,1] and [2,2] do not broadcast (dim 0: 3 vs 2)");
  });
  it('Tile repeats each dim', () => {
    expectTensor(runOp('Tile', [tensor('i32', [2, 2], [1, 2, 3, 4])], { repeats: [2, 2] }), 'i32', [4, 4], [1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4]);
    expect(thrown(() => runOp('Tile', [m24], { repeats: [2] })).message).toBe("layer 'y' (Tile): repeats [2] must hold 2 non-negative counts, one per dim of input f32[2,4]");
  });
});

describe('Pad', () => {
  const x = tensor('f32', [3, 2], [1, 1.2, 2.3, 3.4, 4.5, 5.7]);
  it('the ONNX modes on the ONNX example', () => {
    expectTensor(runOp('Pad', [x], { pads: [0, 2, 0, 0], mode: 'constant', value: 9 }), 'f32', [3, 4], [9, 9, 1, 1.2, 9, 9, 2.3, 3.4, 9, 9, 4.5, 5.7]);
    expectTensor(runOp('Pad', [x], { pads: [0, 2, 0, 0], mode: 'reflect' }), 'f32', [3, 4], [1, 1.2, 1, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7]);
    expectTensor(runOp('Pad', [x], { pads: [0, 2, 0, 0], mode: 'edge' }), 'f32', [3, 4], [1, 1, 1, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7]);
    expectTensor(runOp('Pad', [x], { pads: [2, 1, 1, 1], mode: 'wrap' }), 'f32', [6, 4], [
      3.4, 2.3, 3.4, 2.3, 5.7, 4.5, 5.7, 4.5, 1.2, 1, 1.2, 1, 3.4, 2.3, 3.4, 2.3, 5.7, 4.5, 5.7, 4.5, 1.2, 1, 1.2, 1,
    ]);
  });
  it('reflects repeatedly past the input; negative pads crop; axes pick the dims', () => {
    expectTensor(runOp('Pad', [tensor('i32', [3], [1, 2, 3])], { pads: [5, 4], mode: 'reflect' }), 'i32', [12], [2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3]);
    expectTensor(runOp('Pad', [m24], { pads: [-1, 1], axes: [1], value: -7 }), 'f32', [2, 4], [2, 3, 4, -7, 6, 7, 8, -7]);
    expectTensor(runOp('Pad', [tensor('i64', [2], [1, 2])], { pads: [1, 0], value: -3 }), 'i64', [3], [-3, 1, 2]);
  });
  it('refuses a wrong pads length', () => {
    expect(thrown(() => runOp('Pad', [m24], { pads: [1, 1] })).message).toBe("layer 'y' (Pad): pads [1,1] must have 4 entries (begin and end for 2 axes) (input f32[2,4])");
  });
});

describe('Resize', () => {
  const x = tensor('f32', [1, 1, 2, 2], [1, 2, 3, 4]);
  it('nearest doubles every pixel', () => {
    expectTensor(runOp('Resize', [x], { scales: [1, 1, 2, 2] }), 'f32', [1, 1, 4, 4], [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
  });
  it('linear with half_pixel clamps at the edges; align_corners keeps the corners', () => {
    expectTensor(runOp('Resize', [x], { scales: [1, 1, 2, 2], mode: 'linear' }), 'f32', [1, 1, 4, 4], [
      1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4,
    ]);
    const y = runOp('Resize', [x], { sizes: [3, 3], axes: [2, 3], mode: 'linear', coordinateTransformationMode: 'align_corners' });
    expectTensor(y, 'f32', [1, 1, 3, 3], [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });
  it('nearest modes on the asymmetric transform', () => {
    const v = tensor('i32', [4], [10, 20, 30, 40]);
    const at = (sizes: number, nearestMode: string) => tensorValues(runOp('Resize', [v], { sizes: [sizes], coordinateTransformationMode: 'asymmetric', nearestMode }));
    // x / 1.5: 0, 0.67, 1.33, 2, 2.67, 3.33
    expect(at(6, 'floor')).toEqual([10, 10, 20, 30, 30, 40]);
    expect(at(6, 'ceil')).toEqual([10, 20, 30, 30, 40, 40]);
    expect(at(6, 'round_prefer_floor')).toEqual([10, 20, 20, 30, 40, 40]);
    // x / 2 has ties at every other x; ceil past the end clamps to the last element.
    expect(at(8, 'round_prefer_floor')).toEqual([10, 10, 20, 20, 30, 30, 40, 40]);
    expect(at(8, 'round_prefer_ceil')).toEqual([10, 20, 20, 30, 30, 40, 40, 40]);
  });
  it('cubic reproduces a constant and exclude_outside renormalizes', () => {
    const c = tensor('f32', [3, 3], new Array(9).fill(5));
    expectTensor(runOp('Resize', [c], { scales: [1.5, 1.5], mode: 'cubic' }), 'f32', [4, 4], new Array(16).fill(5), 5);
    expectTensor(runOp('Resize', [c], { scales: [0.7, 2], mode: 'cubic', excludeOutside: true, cubicCoeffA: -0.5 }), 'f32', [2, 6], new Array(12).fill(5), 5);
  });
  it('antialias widens the filter when downsampling', () => {
    const v = tensor('f32', [4], [1, 2, 3, 4]);
    // Scale 0.5: four taps at weights 1/8, 3/8, 3/8, 1/8 around each output's centre.
    expectTensor(runOp('Resize', [v], { scales: [0.5], mode: 'linear', antialias: true }), 'f32', [2], [1.625, 3.375]);
    expectTensor(runOp('Resize', [v], { scales: [0.5], mode: 'linear' }), 'f32', [2], [1.5, 3.5]);
    expect(thrown(() => runOp('Resize', [v], { scales: [0.5], antialias: true })).message).toBe("layer 'y' (Resize): antialias applies to linear and cubic modes, not nearest");
  });
  it('keepAspectRatioPolicy scales every resized axis alike', () => {
    const z = tensor('f32', [2, 4], iota(8));
    expect(runOp('Resize', [z], { sizes: [4, 4], keepAspectRatioPolicy: 'not_larger' }).shape).toEqual([2, 4]);
    expect(runOp('Resize', [z], { sizes: [4, 4], keepAspectRatioPolicy: 'not_smaller' }).shape).toEqual([4, 8]);
  });
  it('refuses scales and sizes together, and linear on integers', () => {
    expect(thrown(() => runOp('Resize', [x], { scales: [1, 1, 2, 2], sizes: [1, 1, 4, 4] })).message).toBe("layer 'y' (Resize): exactly one of scales [1,1,2,2] and sizes [1,1,4,4] must be given (input f32[1,1,2,2])");
    expect(thrown(() => runOp('Resize', [tensor('i32', [2], [1, 2])], { scales: [2], mode: 'linear' })).message).toBe("layer 'y' (Resize): mode 'linear' interpolates floats; input 'x' is i32[2]");
  });
});

describe('DepthToSpace and SpaceToDepth', () => {
  const x = tensor('f32', [1, 8, 1, 1], iota(8));
  it('DCR and CRD orders', () => {
    expectTensor(runOp('DepthToSpace', [x], { blocksize: 2 }), 'f32', [1, 2, 2, 2], [0, 2, 4, 6, 1, 3, 5, 7]);
    expectTensor(runOp('DepthToSpace', [x], { blocksize: 2, mode: 'CRD' }), 'f32', [1, 2, 2, 2], iota(8));
  });
  it('SpaceToDepth undoes DCR DepthToSpace', () => {
    const z = tensor('f32', [2, 8, 2, 3], iota(96));
    const g = buildGraph({
      inputs: { z: { dtype: 'f32', shape: [2, 8, 2, 3] } },
      nodes: [{ op: 'DepthToSpace', inputs: ['z'], name: 'd', attrs: { blocksize: 2 } }, { op: 'SpaceToDepth', inputs: ['d'], name: 's', attrs: { blocksize: 2 } }],
    });
    expectTensor(interpret(g, { z }).s!, 'f32', [2, 8, 2, 3], iota(96));
    expect(thrown(() => runOp('DepthToSpace', [tensor('f32', [1, 6, 1, 1], iota(6))], { blocksize: 2 })).message).toBe("layer 'y' (DepthToSpace): channels 6 of input f32[1,6,1,1] are not divisible by blocksize^2 = 4");
  });
});

describe('Trilu', () => {
  const x = tensor('i32', [3, 4], iota(12, 1));
  it('upper and lower with k', () => {
    expectTensor(runOp('Trilu', [x]), 'i32', [3, 4], [1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12]);
    expectTensor(runOp('Trilu', [x], { upper: false, k: -1 }), 'i32', [3, 4], [0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0]);
    expectTensor(runOp('Trilu', [x], { k: 5 }), 'i32', [3, 4], new Array(12).fill(0));
  });
});

describe('Range, ConstantOfShape, Shape', () => {
  const make = (op: string, attrs: Attrs) => interpret(buildGraph({ nodes: [{ op, inputs: [], name: 'y', attrs }] }), {}).y!;
  it('Range counts ceil((limit - start) / delta) elements', () => {
    expectTensor(make('Range', { start: 10, limit: 4, delta: -3, dtype: 'i32' }), 'i32', [2], [10, 7]);
    expectTensor(make('Range', { start: 1, limit: 2, delta: 0.3 }), 'f32', [4], [1, 1.3, 1.6, 1.9]);
    expectTensor(make('Range', { start: 1, limit: 0, delta: 1, dtype: 'i64' }), 'i64', [0], []);
    expect(thrown(() => make('Range', { start: 0, limit: 1, delta: 0 })).message).toBe("layer 'y' (Range): start 0, limit 1 and delta 0 must be finite with delta != 0");
  });
  it('ConstantOfShape casts its value', () => {
    expectTensor(make('ConstantOfShape', { shape: [2, 2], value: 7.9, dtype: 'i32' }), 'i32', [2, 2], [7, 7, 7, 7]);
    expectTensor(make('ConstantOfShape', { shape: [3], value: 2, dtype: 'bool' }), 'bool', [3], [1, 1, 1]);
  });
  it('Shape clamps start and end', () => {
    const x = tensor('f32', [2, 3, 4], iota(24));
    expectTensor(runOp('Shape', [x]), 'i64', [3], [2, 3, 4]);
    expectTensor(runOp('Shape', [x], { start: -2, end: 100 }), 'i64', [2], [3, 4]);
    expectTensor(runOp('Shape', [x], { start: 2, end: 1 }), 'i64', [0], []);
  });
});
