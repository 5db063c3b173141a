// The labelling behind int8's layer choice (src/builder/min-cut.ts): on random
// networks of costs it finds a labelling as cheap as the best of all 2^n, ties go to
// label 0, and pair terms only bind where the labels differ the costly way.
import { describe, expect, it } from 'vitest';
import { labellingCost, minCutLabels, type PairTerm } from '../../src/builder/min-cut.js';
import { mulberry32 } from '../../src/interpret/index.js';

function bruteForce(c0: number[], c1: number[], pairs: PairTerm[]): number {
  let best = Infinity;
  for (let m = 0; m < 1 << c0.length; m++) {
    const labels = c0.map((_, i) => ((m >> i) & 1) as 0 | 1);
    best = Math.min(best, labellingCost(c0, c1, pairs, labels));
  }
  return best;
}

describe('minCutLabels', () => {
  it('matches the exhaustive optimum on 300 random instances of up to 10 items', () => {
    const rng = mulberry32(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(rng() * 10);
      const c0 = Array.from({ length: n }, () => rng() * 5);
      const c1 = Array.from({ length: n }, () => rng() * 5);
      const pairs: PairTerm[] = Array.from({ length: Math.floor(rng() * 2 * n) }, () => ({ a: Math.floor(rng() * n), b: Math.floor(rng() * n), cost: rng() * 3 }));
      const labels = minCutLabels(c0, c1, pairs);
      expect(labels.length).toBe(n);
      expect(labellingCost(c0, c1, pairs, labels)).toBeCloseTo(bruteForce(c0, c1, pairs), 9);
    }
  });

  it('a chain: cheap alone nowhere, cheaper together (int8 layers passing i8 to each other)', () => {
    // Each layer: fp32 1.0, int8 0.8, plus 0.3 to quantize its input unless its producer is int8.
    const c0 = [1, 1, 1], c1 = [0.8 + 0.3, 0.8, 0.8];
    const pairs = [{ a: 1, b: 0, cost: 0.3 }, { a: 2, b: 1, cost: 0.3 }];
    expect(minCutLabels(c0, c1, pairs)).toEqual([1, 1, 1]);
    // Alone each loses (0.8 + 0.3 > 1): the chain of one stays fp32.
    expect(minCutLabels([1], [1.1], [])).toEqual([0]);
  });

  it('ties go to label 0, and a costly pair in the other direction binds nothing', () => {
    expect(minCutLabels([1, 2], [1, 2], [])).toEqual([0, 0]);
    // b = 1 with a = 0 is free: the pair costs only a = 1 with b = 0.
    expect(minCutLabels([5, 1], [1, 5], [{ a: 0, b: 1, cost: 100 }])).toEqual([0, 0]);
    expect(minCutLabels([1, 5], [5, 1], [{ a: 0, b: 1, cost: 100 }])).toEqual([0, 1]);
  });
});
