// Output comparison for differential tests: two runs of (an optimized and the
// original) network agree when every output has the same type and every element is
// within atol + rtol * max(|a|, |b|). The floor `atol` matters where a fused kernel
// rounds once and the original rounded in between, on values that cancel to ~0.
import { readFloats, type Tensor } from '../../src/interpret/index.js';
import { formatType } from '../../src/ir/index.js';

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/** The first disagreement between two sets of outputs, described; undefined when they agree. */
export function compareOutputs(expected: Readonly<Record<string, Tensor>>, actual: Readonly<Record<string, Tensor>>, tol: Tolerance = {}): string | undefined {
  const rtol = tol.rtol ?? 1e-4;
  const atol = tol.atol ?? 1e-5;
  const names = Object.keys(expected);
  if (names.join() !== Object.keys(actual).join()) return `outputs differ: expected ${names.join(', ')}, got ${Object.keys(actual).join(', ')}`;
  for (const name of names) {
    const e = expected[name]!;
    const a = actual[name]!;
    if (formatType(e) !== formatType(a)) return `output '${name}': expected ${formatType(e)}, got ${formatType(a)}`;
    const ev = readFloats(e);
    const av = readFloats(a);
    for (let i = 0; i < ev.length; i++) {
      const x = ev[i]!;
      const y = av[i]!;
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      if (x === y) continue;
      if (!(Math.abs(x - y) <= atol + rtol * Math.max(Math.abs(x), Math.abs(y)))) {
        return `output '${name}' ${formatType(e)}: element ${i} is ${y}, expected ${x} (rtol ${rtol}, atol ${atol})`;
      }
    }
  }
  return undefined;
}
