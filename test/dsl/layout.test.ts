// DSL methods of the layout family: inferred types with a symbolic batch, and the
// errors a user can cause, messages asserted.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { formatType } from '../../src/ir/index.js';

const typeOf = (t: { type: Parameters<typeof formatType>[0] }) => formatType(t.type);

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected the call to throw');
}

describe('layout methods infer their types', () => {
  const n = new Network({ name: 't' });
  const x = n.input('x', 'f32', ['batch', 8, 6, 6]);
  it('slice, split, gather, expand, tile, pad', () => {
    expect(typeOf(x.slice({ starts: [1, -2], ends: [7, 2 ** 62], axes: [1, 3], steps: [3, 1] }))).toBe('f32[batch,2,6,2]');
    const parts = x.split({ axis: 1, split: [2, 6] });
    expect(parts.map(typeOf)).toEqual(['f32[batch,2,6,6]', 'f32[batch,6,6,6]']);
    expect(parts.map((p) => p.name)).toEqual(['split_2', 'split_2.1']);
    expect(x.split({ axis: 2, parts: 4 }).map(typeOf)).toEqual(['f32[batch,8,2,6]', 'f32[batch,8,2,6]', 'f32[batch,8,2,6]', 'f32[batch,8,0,6]']);
    expect(typeOf(x.gather(n.input('i', 'i64', [3, 2]), { axis: 2 }))).toBe('f32[batch,8,3,2,6]');
    expect(typeOf(n.input('c', 'f32', [8, 1, 1]).expand([2, 1, 1, 6]))).toBe('f32[2,8,1,6]');
    expect(typeOf(x.tile([1, 2, 1, 3]))).toBe('f32[batch,16,6,18]');
    expect(typeOf(x.pad([1, 2], { axes: [-1], mode: 'reflect' }))).toBe('f32[batch,8,6,9]');
  });
  it('resize, depthToSpace, spaceToDepth, trilu, shape, squeeze, unsqueeze', () => {
    expect(typeOf(x.resize({ scales: [1, 1, 2, 1.5], mode: 'linear' }))).toBe('f32[batch,8,12,9]');
    expect(typeOf(x.resize({ sizes: [3, 4], axes: [2, 3] }))).toBe('f32[batch,8,3,4]');
    expect(typeOf(x.depthToSpace(2, { mode: 'CRD' }))).toBe('f32[batch,2,12,12]');
    expect(typeOf(x.spaceToDepth(3))).toBe('f32[batch,72,2,2]');
    expect(typeOf(x.triu(1))).toBe('f32[batch,8,6,6]');
    expect(typeOf(x.shapeTensor({ start: 1 }))).toBe('i64[3]');
    const u = x.unsqueeze([0, -1]);
    expect(typeOf(u)).toBe('f32[1,batch,8,6,6,1]');
    expect(typeOf(u.squeeze())).toBe('f32[batch,8,6,6]');
    expect(typeOf(u.squeeze([0]))).toBe('f32[batch,8,6,6,1]');
    expect(typeOf(n.range(0, 10, 3, { dtype: 'i32' }))).toBe('i32[4]');
    expect(typeOf(n.constantOfShape([2, 3], { value: 1, dtype: 'bool' }))).toBe('bool[2,3]');
  });
});

describe('layout methods report misuse', () => {
  const n = new Network({ name: 't' });
  const x = n.input('x', 'f32', ['batch', 8, 6, 6]);
  it('names the layer, argument and shapes', () => {
    expect(thrown(() => x.split({ name: 'sp' })).message).toBe("layer 'sp': split needs 'split' (the sizes) or 'parts' (how many equal parts)");
    expect(thrown(() => x.split({ axis: 1, split: [3, 4], name: 'sp2' })).message).toBe("layer 'sp2' (Split): split [3,4] sums to 7, but the axis has 8 elements (input f32[batch,8,6,6], axis 1)");
    expect(thrown(() => x.squeeze([1], 'sq')).message).toBe("layer 'sq': cannot squeeze dim 1 of x: f32[batch,8,6,6]: it is not 1");
    expect(thrown(() => x.unsqueeze([7], 'us')).message).toBe("layer 'us': unsqueeze axis 7 is out of range for x: f32[batch,8,6,6] (rank 5)");
    expect(thrown(() => x.pad([1, 1], { name: 'p' })).message).toBe("layer 'p' (Pad): pads [1,1] must have 8 entries (begin and end for 4 axes) (input f32[batch,8,6,6])");
    expect(thrown(() => x.resize({ scales: [Math.PI, 1, 1, 1], name: 'r' })).message).toBe("layer 'r' (Resize): axis 0 has symbolic size 'batch'; scale 3.141592653589793 is not a fraction p/q with q <= 64, so the output size cannot be written (input f32[batch,8,6,6])");
    expect(thrown(() => x.gather(x, { name: 'g' })).message).toBe("layer 'g' (Gather): input 'indices' must be i32 or i64, got f32[batch,8,6,6]");
    expect(thrown(() => x.tile([2, 1, 1], 't')).message).toBe("layer 't' (Tile): repeats [2,1,1] must hold 4 non-negative counts, one per dim of input f32[batch,8,6,6]");
    expect(thrown(() => x.depthToSpace(3, { name: 'd' })).message).toBe("layer 'd' (DepthToSpace): channels 8 of input f32[batch,8,6,6] are not divisible by blocksize^2 = 9");
    const e = thrown(() => x.slice({ starts: [0], ends: [1], axes: [4], name: 's' }));
    expect(e.message).toBe("layer 's' (Slice): axis 4 is out of range for rank 4 (input f32[batch,8,6,6])");
    expect(e.code).toBe('KILN_SHAPE');
  });
});
