// The algebra behind symbolic dims: a dim expression is kept as a polynomial with
// integer coefficients over atoms. An atom is a symbol (`batch`) or an opaque call
// (`floor(A/B)`, `ceil(A/B)`, `mod(A,B)`, `max(A,B)`, `min(A,B)`) whose arguments are
// themselves canonical. Products of atoms are sorted, terms are collected, calls fold
// when their arguments are constant, so two expressions that differ only by the order
// of + and * print the same text. The text is the identity: comparing dims is
// comparing strings.
import { KilnError } from './errors.js';

export type DimNode =
  | { kind: 'const'; value: number }
  | { kind: 'sym'; name: string }
  | { kind: 'add' | 'sub' | 'mul' | 'floorDiv' | 'ceilDiv' | 'mod' | 'max' | 'min'; a: DimNode; b: DimNode };

export type CallKind = 'floorDiv' | 'ceilDiv' | 'mod' | 'max' | 'min';

export interface Atom {
  /** Printed form; atoms compare by it. */
  readonly key: string;
  readonly sym?: string;
  readonly call?: { kind: CallKind; a: Poly; b: Poly };
}

export interface Term {
  readonly coef: number;
  /** Sorted by key, with repeats (seq*seq). */
  readonly atoms: readonly Atom[];
}

/** Terms keyed by their monomial (atom keys joined by '*'; '' is the constant). */
export type Poly = ReadonlyMap<string, Term>;

const monoKey = (atoms: readonly Atom[]) => atoms.map((a) => a.key).join('*');

export const polyConst = (v: number): Poly => (v === 0 ? new Map() : new Map([['', { coef: v, atoms: [] }]]));

export function polyAtom(atom: Atom): Poly {
  return new Map([[atom.key, { coef: 1, atoms: [atom] }]]);
}

export const polySym = (name: string): Poly => polyAtom({ key: name, sym: name });

/** The value when the polynomial is a constant. */
export function constOf(p: Poly): number | undefined {
  if (p.size === 0) return 0;
  if (p.size === 1 && p.has('')) return p.get('')!.coef;
  return undefined;
}

function addTerm(m: Map<string, Term>, t: Term): void {
  const k = monoKey(t.atoms);
  const old = m.get(k);
  const coef = (old?.coef ?? 0) + t.coef;
  if (coef === 0) m.delete(k);
  else m.set(k, { coef, atoms: t.atoms });
}

export function polyAdd(a: Poly, b: Poly, sign = 1): Poly {
  const m = new Map(a);
  for (const t of b.values()) addTerm(m, { coef: sign * t.coef, atoms: t.atoms });
  return m;
}

export function polyMul(a: Poly, b: Poly): Poly {
  const m = new Map<string, Term>();
  for (const s of a.values()) {
    for (const t of b.values()) {
      const atoms = [...s.atoms, ...t.atoms].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
      addTerm(m, { coef: s.coef * t.coef, atoms });
    }
  }
  return m;
}

const floorDiv = (a: number, b: number) => Math.floor(a / b);
const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
const mod = (a: number, b: number) => ((a % b) + b) % b;

export const CALL_EVAL: Readonly<Record<CallKind, (a: number, b: number) => number>> = {
  floorDiv, ceilDiv, mod, max: Math.max, min: Math.min,
};

/** Splits a polynomial into the terms whose coefficient `d` divides and the rest. */
function splitDivisible(p: Poly, d: number): [Poly, Poly] {
  const whole = new Map<string, Term>();
  const rest = new Map<string, Term>();
  for (const [k, t] of p) (t.coef % d === 0 ? whole : rest).set(k, t);
  return [whole, rest];
}

const divide = (p: Poly, d: number): Poly => new Map([...p].map(([k, t]) => [k, { coef: t.coef / d, atoms: t.atoms }]));

function polyCall(kind: CallKind, a: Poly, b: Poly): Poly {
  const ca = constOf(a);
  const cb = constOf(b);
  if ((kind === 'floorDiv' || kind === 'ceilDiv' || kind === 'mod') && cb === 0) {
    throw new KilnError('KILN_DIM', `dim expression divides by zero: ${kind === 'mod' ? `mod(${formatPoly(a)},0)` : `${kind === 'floorDiv' ? 'floor' : 'ceil'}(${formatPoly(a)}/0)`}`);
  }
  if (ca !== undefined && cb !== undefined) return polyConst(CALL_EVAL[kind](ca, cb));
  if (kind === 'max' || kind === 'min') {
    const aGeB = polyNonNegative(polyAdd(a, b, -1));
    const bGeA = polyNonNegative(polyAdd(b, a, -1));
    if (aGeB || bGeA) return aGeB === (kind === 'max') ? a : b;
    const [x, y] = formatPoly(a) <= formatPoly(b) ? [a, b] : [b, a];
    return callAtom(kind, x, y);
  }
  // (X*m)/m == X for any m != 0, floor or ceil alike.
  const exact = kind !== 'mod' ? divideByTerm(a, b) : undefined;
  if (exact) return exact;
  if (cb !== undefined && cb > 0) {
    // (k*b*X + R) / b == k*X + R / b for integer X, floor or ceil alike; mod drops k*b*X.
    const [whole, rest] = splitDivisible(a, cb);
    const restC = constOf(rest);
    const tail = restC !== undefined ? polyConst(CALL_EVAL[kind](restC, cb)) : cb === 1 ? (kind === 'mod' ? polyConst(0) : rest) : callAtom(kind, rest, b);
    return kind === 'mod' ? tail : polyAdd(divide(whole, cb), tail);
  }
  return callAtom(kind, a, b);
}

/**
 * Whether a polynomial is provably >= 0: every coefficient positive (the constant may
 * be 0 or more) and every atom non-negative. Dims are non-negative, so symbols are.
 */
export function polyNonNegative(p: Poly): boolean {
  for (const t of p.values()) if (t.coef < 0 || !t.atoms.every(atomNonNegative)) return false;
  return true;
}

function atomNonNegative(a: Atom): boolean {
  if (a.sym !== undefined) return true;
  const { kind, a: x, b: y } = a.call!;
  const cy = constOf(y);
  switch (kind) {
    case 'floorDiv':
    case 'ceilDiv': return polyNonNegative(x) && polyNonNegative(y);
    case 'mod': return cy !== undefined && cy > 0;
    case 'max': return polyNonNegative(x) || polyNonNegative(y);
    case 'min': return polyNonNegative(x) && polyNonNegative(y);
  }
}

/** Exact division by a single term (c*atoms): every term's coefficient and atoms must contain it. */
function divideByTerm(a: Poly, b: Poly): Poly | undefined {
  if (b.size !== 1) return undefined;
  const d = [...b.values()][0]!;
  if (d.atoms.length === 0) return undefined;
  const out = new Map<string, Term>();
  for (const t of a.values()) {
    if (t.coef % d.coef !== 0) return undefined;
    const rest = [...t.atoms];
    for (const x of d.atoms) {
      const i = rest.findIndex((y) => y.key === x.key);
      if (i < 0) return undefined;
      rest.splice(i, 1);
    }
    addTerm(out, { coef: t.coef / d.coef, atoms: rest });
  }
  return out;
}

const callAtom = (kind: CallKind, a: Poly, b: Poly): Poly => polyAtom({ key: callKey(kind, a, b), call: { kind, a, b } });

export const polyFloorDiv = (a: Poly, b: Poly) => polyCall('floorDiv', a, b);
export const polyCeilDiv = (a: Poly, b: Poly) => polyCall('ceilDiv', a, b);
export const polyMod = (a: Poly, b: Poly) => polyCall('mod', a, b);
export const polyMax = (a: Poly, b: Poly) => polyCall('max', a, b);
export const polyMin = (a: Poly, b: Poly) => polyCall('min', a, b);

// ---- printing ----

function degree(t: Term): number {
  return t.atoms.length;
}

/** Positive terms first (highest degree first, then by text), the constant last of its sign. */
function orderedTerms(p: Poly): Term[] {
  const key = (t: Term) => monoKey(t.atoms);
  const cmp = (x: Term, y: Term) => degree(y) - degree(x) || (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0);
  const terms = [...p.values()];
  return [...terms.filter((t) => t.coef > 0).sort(cmp), ...terms.filter((t) => t.coef < 0).sort(cmp)];
}

function formatTerm(t: Term): string {
  const c = Math.abs(t.coef);
  const atoms = t.atoms.map((a) => a.key);
  return (c === 1 && atoms.length ? atoms : [String(c), ...atoms]).join('*');
}

export function formatPoly(p: Poly): string {
  const terms = orderedTerms(p);
  if (terms.length === 0) return '0';
  return terms.map((t, i) => (t.coef < 0 ? '-' : i > 0 ? '+' : '') + formatTerm(t)).join('');
}

/** A numerator or divisor inside floor(A/B): parenthesized unless it is one product. */
function operand(p: Poly, divisor: boolean): string {
  const text = formatPoly(p);
  const terms = [...p.values()];
  const single = terms.length === 1 && terms[0]!.coef > 0 && (!divisor || (terms[0]!.atoms.length + (terms[0]!.coef === 1 ? 0 : 1)) <= 1);
  return single || terms.length === 0 ? text : `(${text})`;
}

function callKey(kind: CallKind, a: Poly, b: Poly): string {
  switch (kind) {
    case 'floorDiv': return `floor(${operand(a, false)}/${operand(b, true)})`;
    case 'ceilDiv': return `ceil(${operand(a, false)}/${operand(b, true)})`;
    default: return `${kind}(${formatPoly(a)},${formatPoly(b)})`;
  }
}

// ---- to a tree ----

function termNode(t: Term): DimNode {
  const c = Math.abs(t.coef);
  let n: DimNode | undefined = c === 1 && t.atoms.length ? undefined : { kind: 'const', value: c };
  for (const a of t.atoms) {
    const an = atomNode(a);
    n = n ? { kind: 'mul', a: n, b: an } : an;
  }
  return n!;
}

function atomNode(a: Atom): DimNode {
  if (a.sym !== undefined) return { kind: 'sym', name: a.sym };
  const { kind, a: x, b: y } = a.call!;
  return { kind, a: polyNode(x), b: polyNode(y) };
}

/** The tree of a canonical polynomial, in print order (so printing the tree gives the text). */
export function polyNode(p: Poly): DimNode {
  const terms = orderedTerms(p);
  if (terms.length === 0) return { kind: 'const', value: 0 };
  let n: DimNode = termNode(terms[0]!);
  if (terms[0]!.coef < 0) n = terms[0]!.atoms.length ? { kind: 'mul', a: { kind: 'const', value: -1 }, b: n } : { kind: 'const', value: terms[0]!.coef };
  for (const t of terms.slice(1)) n = { kind: t.coef < 0 ? 'sub' : 'add', a: n, b: termNode(t) };
  return n;
}

/** Canonicalizes any tree, substituting bound symbols on the way. */
export function nodePoly(n: DimNode, binding?: Readonly<Record<string, number>>): Poly {
  switch (n.kind) {
    case 'const': return polyConst(n.value);
    case 'sym': return binding && n.name in binding ? polyConst(binding[n.name]!) : polySym(n.name);
    case 'add': return polyAdd(nodePoly(n.a, binding), nodePoly(n.b, binding));
    case 'sub': return polyAdd(nodePoly(n.a, binding), nodePoly(n.b, binding), -1);
    case 'mul': return polyMul(nodePoly(n.a, binding), nodePoly(n.b, binding));
    default: return polyCall(n.kind, nodePoly(n.a, binding), nodePoly(n.b, binding));
  }
}
