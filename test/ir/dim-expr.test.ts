// Symbolic dim expressions: canonical text, evaluation, bad text, and a property that
// canonicalization never changes an expression's value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  KilnError, canonicalDim, dimAdd, dimCeilDiv, dimFloorDiv, dimMax, dimMin, dimMod, dimMul, dimProduct, dimSub, dimSymbols, dimsEqual,
  evalDim, formatDim, isStaticDim, parseDim, resolveShape, sizesGe, substituteDim, type DimNode,
} from '../../src/ir/index.js';

describe('canonical forms', () => {
  it('orders products and sums one way', () => {
    expect(dimMul('seq', 'batch')).toBe('batch*seq');
    expect(dimMul('batch', 'seq')).toBe('batch*seq');
    expect(dimMul(dimMul('seq', 256), 'batch')).toBe('256*batch*seq');
    expect(dimAdd(dimMul(2, 'seq'), 1)).toBe('2*seq+1');
    expect(dimAdd(1, dimMul('seq', 2))).toBe('2*seq+1');
    expect(canonicalDim('seq*batch + batch*seq')).toBe('2*batch*seq');
    expect(canonicalDim('4 - seq')).toBe('4-seq');
    expect(canonicalDim('-seq + 4')).toBe('4-seq');
    expect(canonicalDim('seq*seq + seq + 1')).toBe('seq*seq+seq+1');
  });

  it('folds constants to numbers', () => {
    expect(dimAdd(2, 3)).toBe(5);
    expect(dimSub('seq', 'seq')).toBe(0);
    expect(canonicalDim('2*(seq+1) - 2*seq')).toBe(2);
    expect(dimFloorDiv(7, 2)).toBe(3);
    expect(dimCeilDiv(7, 2)).toBe(4);
    expect(dimMod(7, 3)).toBe(1);
    expect(dimMax(3, 9)).toBe(9);
    expect(dimMin(3, 9)).toBe(3);
    expect(dimProduct(['batch', 3, 'seq', 2])).toBe('6*batch*seq');
  });

  it('keeps division, mod, max and min as atoms, simplified', () => {
    expect(dimAdd(dimFloorDiv(dimSub('h', 1), 2), 1)).toBe('floor((h-1)/2)+1');
    expect(dimFloorDiv(dimAdd(dimMul(4, 'h'), 6), 4)).toBe('h+1');
    expect(dimFloorDiv(dimAdd(dimMul(4, 'h'), 'w'), 4)).toBe('floor(w/4)+h');
    expect(dimCeilDiv(dimMul(8, 'seq'), 4)).toBe('2*seq');
    expect(dimMod(dimAdd(dimMul(4, 'h'), 6), 4)).toBe(2);
    expect(dimMod('seq', 1)).toBe(0);
    expect(dimFloorDiv('seq', 1)).toBe('seq');
    expect(canonicalDim('seq%8')).toBe('mod(seq,8)');
    expect(canonicalDim('max(seq, seq+1)')).toBe('seq+1');
    expect(canonicalDim('min(seq, seq+1)')).toBe('seq');
    expect(dimMax('b', 'a')).toBe(dimMax('a', 'b'));
    expect(canonicalDim('ceil(seq/4)*4')).toBe('4*ceil(seq/4)');
    expect(canonicalDim('floor((2*h + w)/(2*k))')).toBe('floor((2*h+w)/(2*k))');
  });

  it('round-trips through parseDim and formatDim', () => {
    for (const text of ['batch', 'batch*seq', '2*seq+1', 'floor((h-1)/2)+1', 'max(a,b)*3-min(c,4)', '4-seq', 'mod(seq,8)+ceil(seq/8)']) {
      const d = canonicalDim(text);
      expect(formatDim(parseDim(d))).toBe(d);
    }
    expect(parseDim('seq')).toEqual({ kind: 'sym', name: 'seq' });
    expect(parseDim(3)).toEqual({ kind: 'const', value: 3 });
    expect(formatDim({ kind: 'add', a: { kind: 'const', value: 1 }, b: { kind: 'const', value: 2 } })).toBe(3);
  });
});

describe('evaluation and comparison', () => {
  it('evaluates under a binding', () => {
    expect(evalDim('floor((h-1)/2)+1', { h: 7 })).toBe(4);
    expect(evalDim('ceil(seq/4)', { seq: 9 })).toBe(3);
    expect(evalDim('mod(seq,8)', { seq: 19 })).toBe(3);
    expect(evalDim('max(a,b)-min(a,b)', { a: 3, b: 10 })).toBe(7);
    expect(evalDim(12, {})).toBe(12);
  });

  it('names the unbound symbol', () => {
    expect(() => evalDim('batch*seq', { batch: 2 })).toThrow(/symbol 'seq' of dim 'batch\*seq' is not bound/);
  });

  it('substitutes part of a binding and simplifies the rest', () => {
    expect(substituteDim('batch*seq+seq', { batch: 3 })).toBe('4*seq');
    expect(resolveShape(['batch', 'batch*seq', 'floor(seq/2)', 4], { seq: 9 })).toEqual(['batch', '9*batch', 4, 4]);
    expect(resolveShape(['batch*seq'], { seq: 9, batch: 2 })).toEqual([18]);
  });

  it('lists symbols and compares dims', () => {
    expect(dimSymbols('floor((h-1)/s)+batch*h')).toEqual(['batch', 'h', 's']);
    expect(dimSymbols(5)).toEqual([]);
    expect(dimsEqual('a*b', 'b*a')).toBe(true);
    expect(dimsEqual(3, 3)).toBe(true);
    expect(dimsEqual(3, 4)).toBe(false);
    expect(dimsEqual('seq', 'seq+1')).toBe(false);
    expect(dimsEqual('a', 'b')).toBeUndefined();
    // Dims are sizes >= 1, so 2*seq never equals seq.
    expect(dimsEqual('2*seq', 'seq')).toBe(false);
    expect(dimsEqual('a*b', 'a')).toBeUndefined();
    expect(sizesGe('seq', 1)).toBe(true);
    expect(sizesGe('seq', 2)).toBeUndefined();
    expect(sizesGe(0, 'seq')).toBe(false);
    expect(dimsEqual('seq', 4)).toBeUndefined();
    expect(isStaticDim(4)).toBe(true);
    expect(isStaticDim('seq')).toBe(false);
  });
});

describe('bad text', () => {
  const bad: [string, RegExp][] = [
    ['', /is empty/],
    ['seq+', /ends too early/],
    ['seq/2', /'\/' must be written inside floor\(\.\.\.\) or ceil\(\.\.\.\)/],
    ['floor(seq)', /floor\(\.\.\.\) takes a division/],
    ['max(a)', /expected ','/],
    ['(a+b', /expected '\)' at the end/],
    ['a b', /unexpected 'b'/],
    ['a$b', /unexpected '\$'/],
    ['floor(a/0)', /divides by zero/],
  ];
  for (const [text, msg] of bad) {
    it(`rejects '${text}'`, () => {
      expect(() => canonicalDim(text)).toThrow(KilnError);
      expect(() => canonicalDim(text)).toThrow(msg);
    });
  }
  it('rejects non-integer numbers', () => {
    expect(() => dimAdd(1.5, 'a')).toThrow(/not an integer/);
  });
});

// ---- property: canonicalization preserves value ----

const SYMS = ['a', 'b', 'c'];

const tree: fc.Arbitrary<DimNode> = fc.letrec<{ node: DimNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: 9 }).map((value): DimNode => ({ kind: 'const', value })),
    fc.constantFrom(...SYMS).map((name): DimNode => ({ kind: 'sym', name })),
    fc.tuple(fc.constantFrom('add', 'sub', 'mul', 'floorDiv', 'ceilDiv', 'mod', 'max', 'min' as const), tie('node'), tie('node'))
      .map(([kind, a, b]) => ({ kind, a, b }) as DimNode),
  ),
})).node;

/** The test's own evaluator of the raw tree (floor semantics for / and %). */
function rawEval(n: DimNode, env: Record<string, number>): number {
  switch (n.kind) {
    case 'const': return n.value;
    case 'sym': return env[n.name]!;
    default: {
      const a = rawEval(n.a, env);
      const b = rawEval(n.b, env);
      if ((n.kind === 'floorDiv' || n.kind === 'ceilDiv' || n.kind === 'mod') && b === 0) throw new Error('div0');
      const r = { add: a + b, sub: a - b, mul: a * b, floorDiv: Math.floor(a / b), ceilDiv: Math.ceil(a / b), mod: a - b * Math.floor(a / b), max: Math.max(a, b), min: Math.min(a, b) }[n.kind];
      return r + 0;
    }
  }
}

/** Fully parenthesized text of a raw tree, to exercise the parser too. */
function rawText(n: DimNode): string {
  switch (n.kind) {
    case 'const': return String(n.value);
    case 'sym': return n.name;
    case 'add': return `(${rawText(n.a)}+${rawText(n.b)})`;
    case 'sub': return `(${rawText(n.a)}-${rawText(n.b)})`;
    case 'mul': return `(${rawText(n.a)}*${rawText(n.b)})`;
    case 'floorDiv': return `floor(${rawText(n.a)}/${rawText(n.b)})`;
    case 'ceilDiv': return `ceil(${rawText(n.a)}/${rawText(n.b)})`;
    case 'mod': return `(${rawText(n.a)}%${rawText(n.b)})`;
    default: return `${n.kind}(${rawText(n.a)},${rawText(n.b)})`;
  }
}

describe('property', () => {
  it('random expression trees evaluate the same before and after canonicalization', () => {
    const env = fc.record({ a: fc.integer({ min: 0, max: 40 }), b: fc.integer({ min: 0, max: 40 }), c: fc.integer({ min: 0, max: 40 }) });
    fc.assert(
      fc.property(tree, env, (t, binding) => {
        let canon;
        try {
          canon = formatDim(t);
        } catch (e) {
          // Only a constant division by zero may be refused while canonicalizing.
          expect(String(e)).toMatch(/divides by zero/);
          return;
        }
        expect(canonicalDim(rawText(t))).toBe(canon);
        expect(formatDim(parseDim(canon))).toBe(canon);
        let want: number;
        try {
          want = rawEval(t, binding);
        } catch {
          return;
        }
        expect(evalDim(canon, binding)).toBe(want);
        expect(substituteDim(canon, binding)).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});
