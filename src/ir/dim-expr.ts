// Symbolic dims as expressions. A `Dim` is a number or the canonical text of an
// expression over symbol names: `batch`, `batch*seq`, `2*seq+1`, `floor((h-1)/2)+1`,
// `ceil(seq/4)`, `mod(seq,8)` (also written `seq%8`), `max(a,b)`, `min(a,b)`. The
// builders below fold constants and canonicalize (dim-poly.ts), so equal expressions
// print equal text; a dim whose value is known is always a number.
import { KilnError } from './errors.js';
import {
  CALL_EVAL, constOf, formatPoly, nodePoly, polyAdd, polyNonNegative, polyCeilDiv, polyConst, polyFloorDiv, polyMax, polyMin, polyMod, polyMul, polyNode,
  type DimNode, type Poly,
} from './dim-poly.js';
import type { Dim } from './shape.js';

export type { DimNode } from './dim-poly.js';

const FUNCTIONS = new Set(['floor', 'ceil', 'max', 'min', 'mod']);

type Raw = DimNode | { kind: 'div'; a: Raw; b: Raw };

function badDim(text: string, why: string): never {
  throw new KilnError('KILN_DIM', `bad dim expression '${text}': ${why}`, { received: text });
}

/** Recursive descent over + - * / % ( ) , integers, symbols and the five functions. */
function parseText(text: string): DimNode {
  const tokens = text.match(/\s*([A-Za-z_][A-Za-z0-9_]*|\d+|[-+*/%(),]|\S)/g)?.map((t) => t.trim()) ?? [];
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (t: string) => {
    if (tokens[pos] !== t) badDim(text, `expected '${t}' ${tokens[pos] === undefined ? 'at the end' : `before '${tokens[pos]}'`}`);
    pos++;
  };
  const noDiv = (n: Raw): DimNode => (n.kind === 'div' ? badDim(text, `'/' must be written inside floor(...) or ceil(...)`) : n);
  const expr = (): Raw => {
    let n = term();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[pos++] === '+' ? 'add' : 'sub';
      n = { kind: op, a: noDiv(n), b: noDiv(term()) };
    }
    return n;
  };
  const term = (): Raw => {
    let n = unary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = tokens[pos++]!;
      const b = noDiv(unary());
      n = op === '/' ? { kind: 'div', a: noDiv(n), b } : { kind: op === '*' ? 'mul' : 'mod', a: noDiv(n), b };
    }
    return n;
  };
  const unary = (): Raw => {
    if (peek() === '-') {
      pos++;
      return { kind: 'mul', a: { kind: 'const', value: -1 }, b: noDiv(unary()) };
    }
    return primary();
  };
  const primary = (): Raw => {
    const t = tokens[pos++];
    if (t === undefined) return badDim(text, 'ends too early');
    if (/^\d+$/.test(t)) return { kind: 'const', value: Number(t) };
    if (t === '(') {
      const n = expr();
      expect(')');
      return n;
    }
    if (!/^[A-Za-z_]/.test(t)) return badDim(text, `unexpected '${t}'`);
    if (!FUNCTIONS.has(t)) return { kind: 'sym', name: t };
    expect('(');
    const a = expr();
    if (t === 'floor' || t === 'ceil') {
      expect(')');
      if (a.kind !== 'div') return badDim(text, `${t}(...) takes a division, as in ${t}(seq/2)`);
      return { kind: t === 'floor' ? 'floorDiv' : 'ceilDiv', a: a.a as DimNode, b: a.b as DimNode };
    }
    expect(',');
    const b = expr();
    expect(')');
    return { kind: t as 'max' | 'min' | 'mod', a: noDiv(a), b: noDiv(b) };
  };
  if (tokens.length === 0) badDim(text, 'is empty');
  const n = noDiv(expr());
  if (pos < tokens.length) badDim(text, `unexpected '${tokens[pos]}'`);
  return n;
}

const cache = new Map<string, Poly>();

function polyOf(d: Dim): Poly {
  if (typeof d === 'number') {
    if (!Number.isSafeInteger(d)) throw new KilnError('KILN_DIM', `dim ${d} is not an integer`, { received: String(d) });
    return polyConst(d);
  }
  if (typeof d !== 'string') throw new KilnError('KILN_DIM', `a dim must be a number or an expression text, got ${JSON.stringify(d)}`);
  let p = cache.get(d);
  if (!p) {
    p = nodePoly(parseText(d));
    if (cache.size > 50_000) cache.clear();
    cache.set(d, p);
  }
  return p;
}

function dimOf(p: Poly): Dim {
  const c = constOf(p);
  return c !== undefined ? c : formatPoly(p);
}

/** The canonical tree of a dim (throws a KilnError on bad text). */
export function parseDim(d: Dim): DimNode {
  return polyNode(polyOf(d));
}

/** The canonical dim of any tree: a number when constant. */
export function formatDim(n: DimNode): Dim {
  return dimOf(nodePoly(n));
}

/** The canonical form of a dim: `seq*batch` -> `batch*seq`, `2+3` -> 5. */
export function canonicalDim(d: Dim): Dim {
  if (typeof d === 'number') return dimOf(polyOf(d));
  let c = canonical.get(d);
  if (c === undefined) {
    c = dimOf(polyOf(d));
    if (canonical.size > 50_000) canonical.clear();
    canonical.set(d, c);
  }
  return c;
}

const canonical = new Map<string, Dim>();

/**
 * A binary dim builder, memoized: inference asks the same questions of the same dims
 * at every layer and every verify, and printing a polynomial is the costly part.
 */
function memoized<T>(fn: (a: Dim, b: Dim) => T, numbers?: (a: number, b: number) => T): (a: Dim, b: Dim) => T {
  const memo = new Map<string, T>();
  return (a, b) => {
    if (numbers && Number.isSafeInteger(a) && Number.isSafeInteger(b)) return numbers(a as number, b as number);
    const key = `${typeof a}:${a}\u0000${typeof b}:${b}`;
    if (memo.has(key)) return memo.get(key)!;
    const v = fn(a, b);
    if (memo.size > 20_000) memo.clear();
    memo.set(key, v);
    return v;
  };
}

export const dimAdd = memoized((a, b) => dimOf(polyAdd(polyOf(a), polyOf(b))), (a, b) => a + b);
export const dimSub = memoized((a, b) => dimOf(polyAdd(polyOf(a), polyOf(b), -1)), (a, b) => a - b);
export const dimMul = memoized((a, b) => dimOf(polyMul(polyOf(a), polyOf(b))), (a, b) => a * b + 0); // + 0: never -0
export const dimFloorDiv = memoized((a, b) => dimOf(polyFloorDiv(polyOf(a), polyOf(b))));
export const dimCeilDiv = memoized((a, b) => dimOf(polyCeilDiv(polyOf(a), polyOf(b))));
export const dimMod = memoized((a, b) => dimOf(polyMod(polyOf(a), polyOf(b))));
export const dimMax = memoized((a, b) => dimOf(polyMax(polyOf(a), polyOf(b))));
export const dimMin = memoized((a, b) => dimOf(polyMin(polyOf(a), polyOf(b))));

/** The product of dims (a shape's volume), canonical. */
export function dimProduct(dims: readonly Dim[]): Dim {
  return dims.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

function evalNode(n: DimNode, binding: Readonly<Record<string, number>>, text: string): number {
  switch (n.kind) {
    case 'const': return n.value;
    case 'sym': {
      const v = binding[n.name];
      if (v === undefined) throw new KilnError('KILN_DIM', `symbol '${n.name}' of dim '${text}' is not bound`, { argument: n.name });
      return v;
    }
    case 'add': return evalNode(n.a, binding, text) + evalNode(n.b, binding, text);
    case 'sub': return evalNode(n.a, binding, text) - evalNode(n.b, binding, text);
    case 'mul': return evalNode(n.a, binding, text) * evalNode(n.b, binding, text);
    default: {
      const b = evalNode(n.b, binding, text);
      if (b === 0 && n.kind !== 'max' && n.kind !== 'min') throw new KilnError('KILN_DIM', `dim '${text}' divides by zero`);
      return CALL_EVAL[n.kind](evalNode(n.a, binding, text), b);
    }
  }
}

/** The value of a dim under a binding; a KilnError names a symbol that is not bound. */
export function evalDim(d: Dim, binding: Readonly<Record<string, number>>): number {
  if (typeof d === 'number') return d;
  return evalNode(parseDim(d), binding, d) + 0; // never -0
}

/** Substitutes the bound symbols and simplifies; the rest stays symbolic. */
export function substituteDim(d: Dim, binding: Readonly<Record<string, number>>): Dim {
  if (typeof d === 'number') return d;
  return dimOf(nodePoly(parseDim(d), binding));
}

/** The symbols a dim mentions, sorted, each once. */
export function dimSymbols(d: Dim): string[] {
  const out = new Set<string>();
  const walk = (n: DimNode): void => {
    if (n.kind === 'sym') out.add(n.name);
    else if (n.kind !== 'const') {
      walk(n.a);
      walk(n.b);
    }
  };
  walk(parseDim(d));
  return [...out].sort();
}

/**
 * true when canonically equal; false when provably different: they differ by a
 * non-zero constant, or one exceeds the other at every size >= 1 of the symbols
 * (`2*seq` vs `seq`); else undefined.
 */
export function dimsEqual(a: Dim, b: Dim): boolean | undefined {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return false;
  return dimsEqualMemo(a, b);
}

const dimsEqualMemo = memoized((a, b): boolean | undefined => {
  const diff = constOf(polyAdd(polyOf(a), polyOf(b), -1));
  if (diff !== undefined) return diff === 0;
  return sizesGe(a, dimAdd(b, 1)) === true || sizesGe(b, dimAdd(a, 1)) === true ? false : undefined;
});

/** The dim with every symbol s replaced by s+1: what holds for it at s >= 0 holds for the dim at sizes >= 1. */
function shiftSymbols(d: Dim): Dim {
  const walk = (n: DimNode): DimNode => {
    if (n.kind === 'sym') return { kind: 'add', a: n, b: { kind: 'const', value: 1 } };
    if (n.kind === 'const') return n;
    return { ...n, a: walk(n.a), b: walk(n.b) };
  };
  return formatDim(walk(parseDim(d)));
}

/**
 * a >= b at every size >= 1 of the symbols (shape values are sizes): true; false when
 * a < b at every such size; undefined when it depends on them.
 */
export const sizesGe = memoized((a: Dim, b: Dim): boolean | undefined => {
  const ge = dimGe(shiftSymbols(a), shiftSymbols(b));
  if (ge !== undefined) return ge;
  return dimGe(shiftSymbols(b), shiftSymbols(dimAdd(a, 1))) ? false : undefined;
}, (a, b) => a >= b);

/** true when a >= b holds for every value of the symbols (all >= 0), false when a < b always (they differ by a constant), else undefined. */
export function dimGe(a: Dim, b: Dim): boolean | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a >= b;
  const diff = polyAdd(polyOf(a), polyOf(b), -1);
  if (polyNonNegative(diff)) return true;
  const c = constOf(diff);
  return c === undefined ? undefined : c >= 0;
}

/** Whether the dim is a known number (a canonical constant). */
export function isStaticDim(d: Dim): boolean {
  return typeof d === 'number' || constOf(polyOf(d)) !== undefined;
}

/** The number a dim stands for, when it is constant. */
export function staticDimValue(d: Dim): number | undefined {
  return typeof d === 'number' ? d : constOf(polyOf(d));
}
