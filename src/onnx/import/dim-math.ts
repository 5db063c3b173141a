// Arithmetic on known elements that may be symbolic dims (shape computations such as
// Shape -> Gather -> Mul -> Concat). Numbers compute as ONNX would (integer division
// truncates for integer dtypes); symbolic operands build canonical dim expressions
// (`batch*seq`, `floor(seq/2)`), which Reshape, Expand and ConstantOfShape targets
// take as they are. Shape values are sizes, so a symbol is taken to be >= 1 when a
// comparison is answered; anything that still depends on the sizes is unknown.
import { dimAdd, dimFloorDiv, dimMax, dimMin, dimMod, dimMul, dimSub, dimsEqual, sizesGe, type Dim } from '../../ir/index.js';

export type DimOp = 'Add' | 'Sub' | 'Mul' | 'Div' | 'Mod' | 'Max' | 'Min' | 'Equal' | 'Less' | 'Greater' | 'LessOrEqual' | 'GreaterOrEqual';

export const DIM_OPS: readonly DimOp[] = ['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Max', 'Min', 'Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'];

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

const bit = (v: boolean | undefined): number | undefined => (v === undefined ? undefined : v ? 1 : 0);

/** `a op b`; undefined when a symbolic operand makes the answer unknowable at import. */
export function dimBinary(op: DimOp, a: Dim, b: Dim, integer: boolean): Dim | undefined {
  if (typeof a === 'number' && typeof b === 'number') return numeric(op, a, b, integer);
  // Fractions of symbolic dims mean nothing as sizes.
  if (!integer && (op === 'Div' || op === 'Mod')) return undefined;
  if (typeof a === 'number' && !Number.isInteger(a)) return undefined;
  if (typeof b === 'number' && !Number.isInteger(b)) return undefined;
  switch (op) {
    case 'Add': return dimAdd(a, b);
    case 'Sub': return dimSub(a, b);
    case 'Mul': return dimMul(a, b);
    // Sizes are non-negative, where truncation and floor agree.
    case 'Div': return b === 0 ? undefined : dimFloorDiv(a, b);
    case 'Mod': return b === 0 ? undefined : dimMod(a, b);
    case 'Max':
    case 'Min': {
      const ge = sizesGe(a, b) ?? (sizesGe(b, a) === true ? false : undefined);
      if (ge === undefined) return op === 'Max' ? dimMax(a, b) : dimMin(a, b);
      return ge === (op === 'Max') ? a : b;
    }
    case 'Equal': return bit(dimsEqual(a, b));
    case 'GreaterOrEqual': return bit(sizesGe(a, b));
    case 'LessOrEqual': return bit(sizesGe(b, a));
    case 'Less': {
      const ge = sizesGe(a, b);
      return ge === undefined ? undefined : bit(!ge);
    }
    case 'Greater': {
      const ge = sizesGe(b, a);
      return ge === undefined ? undefined : bit(!ge);
    }
  }
}
