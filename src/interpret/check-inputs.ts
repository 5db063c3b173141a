// Checks the tensors a caller passes against the graph's declared inputs, and binds
// symbolic dims (`batch`) to the sizes they arrive with. A symbol binds once: the same
// name must mean the same size at every input (and, later, every value) of the run.
import { DTYPE_INFO, KilnError, dimSymbols, evalDim, formatType, type Dim, type Graph, type Shape } from '../ir/index.js';
import type { Tensor } from './tensor.js';

/** Symbol -> size for one run, remembering who bound each symbol for error messages. */
export class DimBinder {
  private readonly sizes = new Map<string, { size: number; by: string }>();

  get(symbol: string): number | undefined {
    return this.sizes.get(symbol)?.size;
  }

  /** The size of a dim expression (`batch*seq`) once all its symbols are bound. */
  value(d: Dim, extra?: ReadonlyMap<string, number>): number | undefined {
    if (typeof d === 'number') return d;
    const binding: Record<string, number> = {};
    for (const s of dimSymbols(d)) {
      const v = extra?.get(s) ?? this.get(s);
      if (v === undefined) return undefined;
      binding[s] = v;
    }
    return evalDim(d, binding);
  }

  /** Unifies a declared shape with a concrete one; returns why they disagree, or undefined. */
  unify(declared: Shape, actual: readonly number[], by: string): string | undefined {
    if (declared.length !== actual.length) return `rank ${actual.length} is not ${declared.length}`;
    const fresh = new Map<string, number>();
    for (let i = 0; i < declared.length; i++) {
      const d = declared[i]!;
      const a = actual[i]!;
      if (typeof d === 'number') {
        if (d !== a) return `dim ${i} is ${a}, not ${d}`;
        continue;
      }
      // An expression of bound symbols is checked by its value; a bare symbol binds.
      const computed = dimSymbols(d).join() === d ? undefined : this.value(d, fresh);
      if (computed !== undefined) {
        if (computed !== a) return `'${d}' is ${computed}, but dim ${i} is ${a}`;
        continue;
      }
      const bound = this.sizes.get(d);
      if (bound && bound.size !== a) return `'${d}' is ${bound.size} (bound by ${bound.by}), but dim ${i} is ${a}`;
      if (fresh.has(d) && fresh.get(d) !== a) return `'${d}' is ${fresh.get(d)} at one dim, but dim ${i} is ${a}`;
      fresh.set(d, a);
    }
    // Bind only once the whole shape agrees, so a failed check leaves no half-binding.
    for (const [d, a] of fresh) if (!this.sizes.has(d)) this.sizes.set(d, { size: a, by });
    return undefined;
  }
}

function inputError(name: string, message: string, expected?: string, received?: string): KilnError {
  return new KilnError('KILN_INPUT', message, { argument: name, expected, received });
}

function isShape(s: unknown): s is number[] {
  return Array.isArray(s) && s.every((d) => Number.isInteger(d) && d >= 0);
}

/** Validates `inputs` against the graph's inputs; returns the symbol bindings. */
export function checkInputs(graph: Graph, inputs: Readonly<Record<string, Tensor>>): DimBinder {
  const takes = graph.inputs.length ? graph.inputs.join(', ') : 'none';
  for (const name of Object.keys(inputs)) {
    if (!graph.inputs.includes(name)) throw inputError(name, `unknown input '${name}'; the network takes: ${takes}`, takes, name);
  }
  const binder = new DimBinder();
  for (const name of graph.inputs) {
    const want = graph.types[name]!;
    const expected = formatType(want);
    const t = inputs[name];
    if (!t) throw inputError(name, `input '${name}' ${expected} is missing; the network takes: ${takes}`, expected, 'nothing');
    if (!isShape(t.shape)) throw inputError(name, `input '${name}' has an invalid shape ${JSON.stringify(t.shape)}; expected ${expected}`, expected, JSON.stringify(t.shape));
    const received = formatType(t);
    if (t.dtype !== want.dtype) throw inputError(name, `input '${name}' expects ${expected}, got ${received}: dtype ${t.dtype} is not ${want.dtype}`, expected, received);
    const why = binder.unify(want.shape, t.shape, `input '${name}'`);
    if (why) throw inputError(name, `input '${name}' expects ${expected}, got ${received}: ${why}`, expected, received);
    const arrayClass = DTYPE_INFO[t.dtype].array;
    if (!(t.data instanceof arrayClass)) {
      throw inputError(name, `input '${name}' ${received} must hold its data in a ${arrayClass.name}, got ${t.data?.constructor?.name ?? String(t.data)}`, arrayClass.name, t.data?.constructor?.name);
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw inputError(name, `input '${name}' ${received} needs ${n} elements, got ${t.data.length}`, `${n} elements`, `${t.data.length}`);
  }
  return binder;
}
