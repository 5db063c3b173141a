// Arithmetic on known elements that may be symbolic dims. Numbers compute as ONNX
// would (integer division truncates for integer dtypes); a symbol meeting an identity
// (x*1, x+0, x/1) passes through unchanged, and anything else becomes an opaque
// expression such as `(batch*seq)`, which Reshape can still absorb as its one -1.
// Comparisons of a symbol with a number are answered only where every dim (>= 1) agrees.
import type { Dim } from '../../ir/index.js';

export type DimOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Mod' | 'Max' | 'Min' | 'Equal' | 'Less' | 'Greater' | 'LessOrEqual' | 'GreaterOrEqual';

export const DIM_OPS: readonly DimOp[] = ['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Max', 'Min', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'];

const SYMBOL_INFIX: Partial<Record<DimOp, string>> = { Add: '+', Sub: '-', Mul: '*', Div: '/', Mod: '%' };

function numeric(op: DimOp, a: number, b: number, integer: boolean): number {
  switch (op) {
    case 'Add': return a + b;
    case 'Sub': return a - b;
    case 'Mul': return a * b;
    case 'Div': return integer ? (b === 0 ? 0 : Math.trunc(a / b)) : a / b;
    case 'Mod': return integer ? (b === 0 ? 0 : a - Math.floor(a / b) * b) : a % b;
    case 'Max': return Math.max(a, b);
    case 'Min': return Math.min(a, b);
    case 'Equal': return a === b ? 1 : 0;
    case 'Less': return a < b ? 1 : 0;
    case 'Greater': return a > b ? 1 : 0;
    case 'LessOrEqual': return a <= b ? 1 : 0;
    case 'GreaterOrEqual': return a >= b ? 1 : 0;
  }
}

/** Compares a symbolic dim (known >= 1) with a number, where the answer does not depend on it. */
function compareSymbol(op: DimOp, symbolFirst: boolean, n: number): number | undefined {
  if (n >= 1) return undefined;
  // The symbol is larger than n.
  const symGreater: Partial<Record<DimOp, number>> = { Equal: 0, Less: 0, LessOrEqual: 0, Greater: 1, GreaterOrEqual: 1 };
  const v = symGreater[op];
  if (v === undefined) return undefined;
  if (op === 'Equal' || symbolFirst) return v;
  return op === 'Less' || op === 'LessOrEqual' ? 1 : 0;
}

/** `a op b`; undefined when a symbolic operand makes the answer unknowable at import. */
export function dimBinary(op: DimOp, a: Dim, b: Dim, integer: boolean): Dim | undefined {
  if (typeof a === 'number' && typeof b === 'number') return numeric(op, a, b, integer);
  if (a === b) {
    if (op === 'Equal' || op === 'LessOrEqual' || op === 'GreaterOrEqual') return 1;
    if (op === 'Less' || op === 'Greater') return 0;
    if (op === 'Sub') return 0;
    if (op === 'Div') return 1;
    if (op === 'Max' || op === 'Min') return a;
  }
  if (typeof b === 'number') {
    if ((op === 'Mul' || op === 'Div') && b === 1) return a;
    if ((op === 'Add' || op === 'Sub') && b === 0) return a;
    if (op === 'Max' && b <= 1) return a;
    if (op === 'Min' && b <= 1) return b;
    const c = compareSymbol(op, true, b);
    if (c !== undefined) return c;
  }
  if (typeof a === 'number') {
    if (op === 'Mul' && a === 1) return b;
    if (op === 'Add' && a === 0) return b;
    if (op === 'Max' && a <= 1) return b;
    if (op === 'Min' && a <= 1) return a;
    const c = compareSymbol(op, false, a);
    if (c !== undefined) return c;
  }
  const infix = SYMBOL_INFIX[op];
  if (infix && integer) return `(${a}${infix}${b})`;
  return undefined;
}

/** A plain dim name (`batch`), as opposed to an expression (`(batch*seq)`). */
export function isPlainSymbol(d: Dim): d is string {
  return typeof d === 'string' && !d.startsWith('(');
}
