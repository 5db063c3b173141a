// The DSL with symbolic shapes: an attention block written on ids[batch, seq] types
// every layer symbolically, and runs in the interpreter at any size; inputs take dim
// expressions in any spelling and refuse bad ones, naming the input.
import { describe, expect, it } from 'vitest';
import { Network } from '../../dsl/index.js';
import { OptimizationProfile, validateProfile } from '../../src/builder/profile.js';
import { formatType } from '../../src/ir/index.js';
import { interpret, mulberry32, randomInt } from '../../src/interpret/index.js';

const ramp = (n: number, k = 0.01) => Array.from({ length: n }, (_, i) => ((i % 13) - 6) * k);

/** Embedding, layer norm, one 4-head self-attention and a mean-pooled head. */
function attention(): Network {
  const n = new Network({ name: 'tiny-encoder' });
  const ids = n.input('ids', 'i64', ['batch', 'seq']);
  const table = n.constant('emb', ramp(50 * 16), [50, 16]);
  const h = table.gather(ids, { name: 'embed' }).layerNorm({ scale: new Array(16).fill(1), name: 'ln' }); // [batch,seq,16]
  const heads = (name: string) => h.matmul(n.constant(`w_${name}`, ramp(256, 0.02), [16, 16]), { name }).reshape([0, 0, 4, 4], `${name}.split`).transpose([0, 2, 1, 3], `${name}.t`);
  const [q, k, v] = [heads('q'), heads('k'), heads('v')]; // [batch,4,seq,4]
  const scores = q.matmul(k, { transB: true, name: 'qk' }).mul(0.5, 'scale').softmax(-1, 'attn'); // [batch,4,seq,seq]
  const ctx = scores.matmul(v, { name: 'av' }).transpose([0, 2, 1, 3], 'merge.t').reshape([0, 0, -1], 'merge'); // [batch,seq,16]
  n.markOutput(ctx.reduce('mean', { axes: [1], keepDims: false, name: 'pool' }), 'pooled');
  n.markOutput(ctx.reshape([-1, 16], 'rows'), 'rows');
  return n;
}

describe('the DSL on symbolic shapes', () => {
  const n = attention();
  const g = n.graph;
  it('types every layer symbolically', () => {
    const t = (v: string) => formatType(g.types[v]!);
    expect(t('embed')).toBe('f32[batch,seq,16]');
    expect(t('q.t')).toBe('f32[batch,4,seq,4]');
    expect(t('attn')).toBe('f32[batch,4,seq,seq]');
    expect(t('merge')).toBe('f32[batch,seq,16]');
    expect(t('pooled')).toBe('f32[batch,16]');
    expect(t('rows')).toBe('f32[batch*seq,16]');
  });
  it('validates over a profile and runs at several sizes', () => {
    const p = new OptimizationProfile().setDimensions('ids', [1, 1], [2, 8], [4, 32]);
    expect(validateProfile(g, p).max).toEqual({ batch: 4, seq: 32 });
    const rng = mulberry32(5);
    for (const [batch, seq] of [[1, 1], [2, 7], [3, 5]]) {
      const ids = { dtype: 'i64' as const, shape: [batch!, seq!], data: BigInt64Array.from({ length: batch! * seq! }, () => BigInt(randomInt(rng, 0, 49))) };
      const out = interpret(g, { ids });
      expect(out.pooled!.shape).toEqual([batch, 16]);
      expect(out.rows!.shape).toEqual([batch! * seq!, 16]);
    }
  });
  it('inputs take expressions, stored canonically, and name a bad one', () => {
    const m = new Network();
    expect(m.input('x', 'f32', ['seq * batch', '2*h+1']).shape).toEqual(['batch*seq', '2*h+1']);
    expect(() => m.input('y', 'f32', ['seq/2'])).toThrow("input 'y': bad dim expression 'seq/2': '/' must be written inside floor(...) or ceil(...)");
    expect(() => m.input('z', 'f32', ['batch', 'max(']) ).toThrow("input 'z': bad dim expression 'max(': ends too early");
  });
  it('a reshape the profile cannot satisfy fails at the layer, symbolically', () => {
    const m = new Network();
    const x = m.input('x', 'f32', ['batch', 'seq', 8]);
    expect(() => x.reshape(['batch', 'seq', 4], 'half')).toThrow("layer 'half' (Reshape): cannot reshape [batch,seq,8] to [batch,seq,4]: batch*seq*8 == batch*seq*4 never holds");
  });
});
