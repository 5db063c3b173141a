// Dim programs: a symbolic dim (`batch*seq*256`, `floor((h-1)/2)+1`) compiled to
// the postfix words the native runtime evaluates at run time (native/dim-program.h,
// native/PLAN_FORMAT.md section DYNS). Symbols are numbered by the plan's symbol list.
import { parseDim, type Dim, type DimNode } from '../src/ir/index.js';

export const DIM_WORDS = {
  const: 0, sym: 1, add: 2, sub: 3, mul: 4, floorDiv: 5, ceilDiv: 6, mod: 7, max: 8, min: 9,
} as const;

/** The postfix program of one dim; `symbolIndex` numbers each symbol it mentions. */
export function dimProgram(dim: Dim, symbolIndex: (name: string) => number): number[] {
  const out: number[] = [];
  const walk = (n: DimNode): void => {
    if (n.kind === 'const') out.push(DIM_WORDS.const, n.value);
    else if (n.kind === 'sym') out.push(DIM_WORDS.sym, symbolIndex(n.name));
    else {
      walk(n.a);
      walk(n.b);
      out.push(DIM_WORDS[n.kind]);
    }
  };
  walk(typeof dim === 'number' ? { kind: 'const', value: dim } : parseDim(dim));
  return out;
}
