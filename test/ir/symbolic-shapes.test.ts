// Symbolic shape inference, per op family: input types with symbolic dims against the
// expected output types, the conditions left for the profile (needs), and the errors
// for what can never hold.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { formatType, inferNode, makeGraph, shapeNeeds, verify, type Attrs, type Dim, type ShapeNeed, type TensorType } from '../../src/ir/index.js';

const f32 = (...shape: Dim[]): TensorType => ({ dtype: 'f32', shape });
const i64 = (...shape: Dim[]): TensorType => ({ dtype: 'i64', shape });

/** Runs one op's inference: output types as text, and the needs it recorded as text. */
function infer(op: string, inputs: (TensorType | undefined)[], attrs: Attrs = {}, outputs = 1): { out: string[]; needs: string[] } {
  const needs: ShapeNeed[] = [];
  const node = { name: 'L', op, inputs: inputs.map((_, i) => `in${i}`), outputs: Array.from({ length: outputs }, (_, i) => `out${i}`), attrs };
  const types = inferNode(node, inputs, needs);
  return { out: types.map(formatType), needs: needs.map((n) => `${n.kind}: ${n.text}`) };
}

const outOf = (...args: Parameters<typeof infer>) => infer(...args).out;

describe('reshape', () => {
  it('-1 divides the symbolic volume', () => {
    expect(outOf('Reshape', [f32('batch', 'seq', 256)], { shape: [-1, 256] })).toEqual(['f32[batch*seq,256]']);
    expect(outOf('Reshape', [f32('seq', 'batch', 256)], { shape: ['seq', -1, 64] })).toEqual(['f32[seq,4*batch,64]']);
    expect(outOf('Reshape', [f32('batch', 'seq', 256)], { shape: [0, 0, 4, 64] })).toEqual(['f32[batch,seq,4,64]']);
    expect(outOf('Reshape', [f32('batch*seq', 256)], { shape: ['batch', -1, 256] })).toEqual(['f32[batch,seq,256]']);
  });
  it('takes expression targets in any spelling, typed canonically', () => {
    expect(outOf('Reshape', [f32('batch', 'seq', 256)], { shape: ['seq*batch', 256] })).toEqual(['f32[batch*seq,256]']);
  });
  it('records a volume that holds only for some sizes', () => {
    const r = infer('Reshape', [f32('batch', 'seq', 256)], { shape: ['batch', 128, 512] });
    expect(r.out).toEqual(['f32[batch,128,512]']);
    expect(r.needs).toEqual(['eq: batch*seq*256 == batch*128*512']);
    expect(infer('Reshape', [f32('n', 3)], { shape: [-1, 2] }).needs).toEqual(['eq: n*3 divisible by 2']);
  });
  it('refuses volumes that never match, printing them symbolically', () => {
    expect(() => infer('Reshape', [f32('seq', 4)], { shape: ['seq+1', 4] })).toThrow("layer 'L' (Reshape): cannot reshape [seq,4] to [seq+1,4]: seq*4 == (seq+1)*4 never holds");
    // Equal only at batch*seq = 0, and dims are sizes >= 1.
    expect(() => infer('Reshape', [f32('batch', 'seq')], { shape: ['batch', 'seq', 2] })).toThrow('batch*seq == batch*seq*2 never holds');
    expect(() => infer('Reshape', [f32('batch', 4)], { shape: ['batch', 'seq/2'] })).toThrow(/shape \[batch,seq\/2\]: bad dim expression 'seq\/2'/);
  });
});

describe('broadcast (binary, comparison, where, matmul batch)', () => {
  it('equal dims stay, 1 broadcasts, canonical forms compare equal', () => {
    expect(outOf('Add', [f32('batch', 'seq', 1), f32(1, 'seq', 256)])).toEqual(['f32[batch,seq,256]']);
    expect(outOf('Mul', [f32('batch*seq'), f32('seq*batch')])).toEqual(['f32[batch*seq]']);
    expect(outOf('Where', [{ dtype: 'bool', shape: [1, 'seq'] }, f32('batch', 1), f32(1)])).toEqual(['f32[batch,seq]']);
  });
  it('two dims not known equal are taken equal, and the profile must agree', () => {
    const r = infer('Add', [f32('seq', 4), f32('len', 4)]);
    expect(r.out).toEqual(['f32[len,4]']);
    expect(r.needs).toEqual(['eq: seq == len to broadcast [seq,4] with [len,4]']);
    const s = infer('Sub', [f32('batch', 8), f32(3, 8)]);
    expect(s.out).toEqual(['f32[3,8]']);
    expect(s.needs).toEqual(['eq: batch == 3 to broadcast [batch,8] with [3,8]']);
  });
  it('refuses dims that provably differ', () => {
    expect(() => infer('Add', [f32('seq'), f32('seq+1')])).toThrow("layer 'L' (Add): f32[seq] and f32[seq+1]: shapes [seq] and [seq+1] do not broadcast (dim 0: seq vs seq+1)");
  });
  it('matmul checks K symbolically', () => {
    expect(outOf('MatMul', [f32('batch', 'seq', 256), f32(256, 64)])).toEqual(['f32[batch,seq,64]']);
    expect(outOf('MatMul', [f32('b', 'm', 'k'), f32('b', 'k', 'n')])).toEqual(['f32[b,m,n]']);
    expect(infer('MatMul', [f32('m', 'k'), f32('j', 'n')]).needs).toEqual(['eq: K k == j (inner dims of f32[m,k] and f32[j,n])']);
    expect(() => infer('MatMul', [f32('m', 'k'), f32('k+1', 'n')])).toThrow(/inner dims differ/);
  });
});

describe('concat, split, slice, gather', () => {
  it('concat sums along the axis and checks the rest', () => {
    expect(outOf('Concat', [f32('batch', 'seq', 8), f32('batch', 1, 8), f32('batch', 'seq', 8)], { axis: 1 })).toEqual(['f32[batch,2*seq+1,8]']);
    expect(infer('Concat', [f32('a', 2), f32('b', 3)], { axis: 1 }).needs).toEqual(['eq: b == a (dim 0 of input 1 f32[b,3] and input 0 f32[a,2])']);
    expect(() => infer('Concat', [f32('a', 2), f32('a+2', 3)], { axis: 1 })).toThrow(/input 1 f32\[a\+2,3\] does not match input 0 f32\[a,2\] outside axis 1/);
  });
  it('split gives equal symbolic chunks or the given sizes', () => {
    expect(outOf('Split', [f32('batch', '2*seq')], { axis: 1 }, 2)).toEqual(['f32[batch,seq]', 'f32[batch,seq]']);
    const r = infer('Split', [f32('n')], { split: [2, 3] }, 2);
    expect(r.out).toEqual(['f32[2]', 'f32[3]']);
    expect(r.needs).toEqual(['eq: n == 5 (split [2,3])']);
    expect(outOf('Split', [f32('n')], {}, 3)).toEqual(['f32[ceil(n/3)]', 'f32[ceil(n/3)]', 'f32[n-2*ceil(n/3)]']);
  });
  it('slice of a symbolic dim is an expression that needs the dim to hold it', () => {
    const big = 2 ** 62;
    expect(outOf('Slice', [f32('seq', 4)], { starts: [1], ends: [big] })).toEqual(['f32[seq-1,4]']);
    expect(outOf('Slice', [f32('seq', 4)], { starts: [-3], ends: [big] })).toEqual(['f32[3,4]']);
    expect(outOf('Slice', [f32('seq', 4)], { starts: [0], ends: [big], steps: [2] })).toEqual(['f32[ceil(seq/2),4]']);
    expect(outOf('Slice', [f32('seq', 4)], { starts: [-1], ends: [-big], steps: [-1] })).toEqual(['f32[seq,4]']);
    const r = infer('Slice', [f32('seq', 4)], { starts: [2], ends: [10] });
    expect(r.out).toEqual(['f32[8,4]']);
    expect(r.needs).toEqual(['ge: seq >= 2 (slice start 2)', 'ge: seq >= 10 (slice end 10)']);
    expect(infer('Slice', [f32('seq', 4)], { starts: [-3], ends: [big] }).needs).toEqual(['ge: seq-3 >= 0 (slice start -3)']);
  });
  it('gather takes the indices shape, symbolic or not', () => {
    expect(outOf('Gather', [f32(1000, 256), i64('batch', 'seq')], { axis: 0 })).toEqual(['f32[batch,seq,256]']);
  });
});

describe('expand, tile, pad, depth-to-space, constant-of-shape, resize', () => {
  it('expand to a symbolic target', () => {
    expect(outOf('Expand', [f32(1, 256)], { shape: ['batch*seq', 1] })).toEqual(['f32[batch*seq,256]']);
  });
  it('tile and pad compute on the dim', () => {
    expect(outOf('Tile', [f32('batch', 3)], { repeats: [2, 1] })).toEqual(['f32[2*batch,3]']);
    expect(outOf('Tile', [f32(1, 3)], { repeats: ['batch', 'seq'] })).toEqual(['f32[batch,3*seq]']);
    expect(outOf('Pad', [f32('h', 'w')], { pads: [1, 0, 2, 0] })).toEqual(['f32[h+3,w]']);
    expect(infer('Pad', [f32('h')], { pads: [-2, 0] }).needs).toEqual(['ge: h-2 >= 0 (pads -2 and 0 of dim 0)']);
  });
  it('depth-to-space and space-to-depth divide symbolic dims', () => {
    expect(outOf('DepthToSpace', [f32('n', 8, 'h', 'w')], { blocksize: 2 })).toEqual(['f32[n,2,2*h,2*w]']);
    const r = infer('SpaceToDepth', [f32('n', 3, 'h', 8)], { blocksize: 2 });
    expect(r.out).toEqual(['f32[n,12,floor(h/2),4]']);
    expect(r.needs).toEqual(['eq: h divisible by 2 (blocksize)']);
  });
  it('constant-of-shape and resize', () => {
    expect(outOf('ConstantOfShape', [], { shape: ['batch', 'seq'] })).toEqual(['f32[batch,seq]']);
    expect(outOf('Resize', [f32('n', 3, 'h', 'w')], { scales: [1, 1, 2, 0.5] })).toEqual(['f32[n,3,2*h,floor(w/2)]']);
  });
});

describe('conv, pool, conv-transpose', () => {
  const w = f32(16, 3, 3, 3);
  it('output sizes are floor expressions that need the window to fit', () => {
    const r = infer('Conv', [f32('n', 3, 'h', 'w'), w], { strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1] });
    expect(r.out).toEqual(['f32[n,16,floor((h-1)/2)+1,floor((w-1)/2)+1]']);
    expect(r.needs).toEqual(['ge: h+2 >= 3 (window 3, dilation 1)', 'ge: w+2 >= 3 (window 3, dilation 1)']);
    expect(outOf('Conv', [f32('n', 3, 'h', 224), w], { padsBegin: [1, 1], padsEnd: [1, 1] })).toEqual(['f32[n,16,h,224]']);
  });
  it('a symbolic channel dim must match the weights', () => {
    expect(infer('Conv', [f32('n', 'c', 8, 8), w], {}).needs).toEqual(['eq: c == 3 (input channels of weights f32[16,3,3,3])']);
    expect(() => infer('Conv', [f32('n', 'c+1', 8, 8), f32(16, 1, 3, 3)], {})).toThrow("layer 'L' (Conv): needs c+1 == 1 (input channels of weights f32[16,1,3,3]), which never holds");
  });
  it('pooling and the transposed window', () => {
    expect(outOf('Pool', [f32('n', 8, 'h', 'w')], { mode: 'max', kernel: [2, 2], strides: [2, 2] })).toEqual(['f32[n,8,floor(h/2),floor(w/2)]']);
    expect(outOf('ConvTranspose', [f32('n', 16, 'h', 'w'), f32(16, 4, 2, 2)], { strides: [2, 2] })).toEqual(['f32[n,4,2*h,2*w]']);
  });
});

describe('recurrent', () => {
  it('keeps seq and batch symbolic; a state of another symbol must match', () => {
    const [x, w, r] = [f32('seq', 'batch', 4), f32(1, 9, 4), f32(1, 9, 3)];
    expect(outOf('GRU', [x, w, r], {}, 2)).toEqual(['f32[seq,1,batch,3]', 'f32[1,batch,3]']);
    const h = infer('GRU', [x, w, r, undefined, undefined, f32(1, 'b2', 3)], {}, 2);
    expect(h.needs).toEqual(["eq: b2 == batch (dim 1 of input 'initialH' f32[1,b2,3], expected f32[1,batch,3])"]);
    expect(() => infer('GRU', [x, w, r, undefined, undefined, f32(1, 'batch+1', 3)], {}, 2)).toThrow("input 'initialH' must be f32[1,batch,3]");
  });
});

describe('reductions, transpose, normalization keep symbolic dims', () => {
  it('follows the dims', () => {
    expect(outOf('Reduce', [f32('batch', 'seq', 256)], { mode: 'mean', axes: [1], keepDims: false })).toEqual(['f32[batch,256]']);
    expect(outOf('Transpose', [f32('batch', 'seq', 256)], { perm: [1, 0, 2] })).toEqual(['f32[seq,batch,256]']);
    expect(outOf('LayerNormalization', [f32('batch', 'seq', 256), f32(256)], {})).toEqual(['f32[batch,seq,256]']);
    expect(outOf('Softmax', [f32('b', 'seq', 'seq')], { axis: -1 })).toEqual(['f32[b,seq,seq]']);
    const top = infer('TopK', [f32('b', 'seq')], { k: 5 }, 2);
    expect(top.out).toEqual(['f32[b,5]', 'i64[b,5]']);
    expect(top.needs).toEqual(['ge: seq >= 5 (k of TopK along dim 1)']);
  });
});

describe('verify on symbolic graphs', () => {
  it('accepts a symbolic network and lists what the profile must satisfy, naming the layer', () => {
    const n = new Network();
    const x = n.input('ids', 'f32', ['batch', 'seq', 256]);
    n.markOutput(x.reshape(['batch', 128, 512], 'Reshape_552'), 'y');
    expect(shapeNeeds(n.graph).map((s) => [s.layer, s.op, s.text])).toEqual([['Reshape_552', 'Reshape', 'batch*seq*256 == batch*128*512']]);
  });
  it('the DSL stores canonical dims; verify refuses text that is not canonical, naming the value', () => {
    const n = new Network();
    n.markOutput(n.input('x', 'f32', ['seq*batch']).relu(), 'y');
    expect(n.graph.types.x!.shape).toEqual(['batch*seq']);
    const bad = makeGraph({ inputs: ['x'], outputs: ['x'], nodes: [], constants: {}, types: { x: f32('seq*batch', 2) } });
    expect(() => verify(bad)).toThrow("value 'x' f32[seq*batch,2]: dim 'seq*batch' is not in canonical form 'batch*seq'");
    const broken = makeGraph({ inputs: ['x'], outputs: ['x'], nodes: [], constants: {}, types: { x: f32('seq+', 2) } });
    expect(() => verify(broken)).toThrow("value 'x' f32[seq+,2]: bad dim expression 'seq+': ends too early");
  });
});
