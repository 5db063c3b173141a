// Optimization profiles (min / opt / max per input), TensorRT's shape. A profile
// sizes every input dim; a symbolic dim (`batch`) takes its min, opt and max from the
// input dims that are exactly that symbol, and all inputs naming it must agree.
// validateProfile checks a network at the three bounds: the shape conditions that
// inference could not decide symbolically (ShapeNeed: a reshape's volume, a broadcast
// of two symbols) are evaluated there and reported with the layer, the condition as
// written, the bound and the symbol values that break it.
import {
  KilnError, dimSymbols, evalDim, formatShape, shapeNeeds, type Dim, type Graph, type ShapeNeed,
} from '../ir/index.js';
import { specializeShapes } from './specialize.js';

export interface ProfileDims {
  min: readonly number[];
  opt: readonly number[];
  max: readonly number[];
}

export const PROFILE_BOUNDS = ['min', 'opt', 'max'] as const;
export type ProfileBound = (typeof PROFILE_BOUNDS)[number];

/** The value of every symbol at each bound of a profile. */
export type ProfileBindings = Record<ProfileBound, Record<string, number>>;

export class OptimizationProfile {
  private readonly dims = new Map<string, ProfileDims>();

  setDimensions(input: string, min: readonly number[], opt: readonly number[], max: readonly number[]): this {
    const all = [min, opt, max];
    if (all.some((d) => !Array.isArray(d) || d.some((x) => !Number.isInteger(x) || x < 0))) {
      throw new KilnError('KILN_PROFILE', `profile for input '${input}': min, opt and max must be lists of non-negative integers`, { argument: input });
    }
    if (min.length !== opt.length || opt.length !== max.length) {
      throw new KilnError('KILN_PROFILE', `profile for input '${input}': min ${formatShape(min)}, opt ${formatShape(opt)} and max ${formatShape(max)} have different ranks`, { argument: input });
    }
    min.forEach((m, i) => {
      if (!(m <= opt[i]! && opt[i]! <= max[i]!)) {
        throw new KilnError('KILN_PROFILE', `profile for input '${input}': dim ${i} needs min <= opt <= max, got ${m}, ${opt[i]}, ${max[i]}`, { argument: input });
      }
    });
    this.dims.set(input, { min: [...min], opt: [...opt], max: [...max] });
    return this;
  }

  getDimensions(input: string): ProfileDims | undefined {
    return this.dims.get(input);
  }

  get inputs(): string[] {
    return [...this.dims.keys()];
  }
}

const profileError = (message: string, input?: string) => new KilnError('KILN_PROFILE', message, input ? { argument: input } : {});

/** Where a symbol's value comes from: the first input dim that is exactly it. */
interface Source {
  input: string;
  dim: number;
}

/** `seq=64 (input 'ids' dim 1)` for messages. */
function describeSymbols(symbols: readonly string[], binding: Readonly<Record<string, number>>, sources: ReadonlyMap<string, Source>): string {
  return symbols.map((s) => {
    const src = sources.get(s);
    return `${s}=${binding[s]}${src ? ` (input '${src.input}' dim ${src.dim})` : ''}`;
  }).join(', ');
}

function symbolSources(graph: Graph): Map<string, Source> {
  const sources = new Map<string, Source>();
  for (const input of graph.inputs) {
    graph.types[input]!.shape.forEach((d, dim) => {
      if (typeof d === 'string' && dimSymbols(d).length === 1 && dimSymbols(d)[0] === d && !sources.has(d)) sources.set(d, { input, dim });
    });
  }
  return sources;
}

/**
 * The min, opt and max value of every symbol of the network's inputs under a
 * profile (`index` only names the profile in messages). Errors name the input, the
 * dim, the bound and what disagrees.
 */
export function profileBindings(graph: Graph, profile: OptimizationProfile | undefined, index = 0): ProfileBindings {
  const which = `optimization profile ${index}`;
  for (const name of profile?.inputs ?? []) {
    if (!graph.inputs.includes(name)) throw profileError(`${which} names input '${name}', but the network's inputs are: ${graph.inputs.join(', ')}`, name);
  }
  const sources = symbolSources(graph);
  const out: ProfileBindings = { min: {}, opt: {}, max: {} };
  const given = (name: string, bound: ProfileBound): readonly number[] => {
    const p = profile?.getDimensions(name);
    const shape = graph.types[name]!.shape;
    if (!p) return shape as number[];
    if (p[bound].length !== shape.length) {
      throw profileError(`${which} gives input '${name}' rank ${p[bound].length}, the input is ${formatShape(shape)}`, name);
    }
    return p[bound];
  };
  for (const name of graph.inputs) {
    const shape = graph.types[name]!.shape;
    if (!profile?.getDimensions(name) && shape.some((d) => typeof d === 'string')) {
      throw profileError(`input '${name}' has dynamic shape ${formatShape(shape)}; ${which} must set its dimensions (profile.setDimensions('${name}', min, opt, max))`, name);
    }
  }
  for (const bound of PROFILE_BOUNDS) {
    const binding = out[bound];
    for (const [sym, src] of sources) binding[sym] = given(src.input, bound)[src.dim]!;
    for (const name of graph.inputs) {
      const dims = given(name, bound);
      graph.types[name]!.shape.forEach((d: Dim, i) => {
        const v = dims[i]!;
        if (typeof d === 'number') {
          if (v !== d) throw profileError(`${which}: input '${name}' dim ${i} is fixed at ${d}, the profile sets ${bound} ${v}`, name);
          return;
        }
        if (bound === 'min' && v < 1) {
          throw profileError(`${which}: input '${name}' dim ${i} (${d}) has min ${v}; symbolic dims are sizes >= 1 (shape inference relies on it)`, name);
        }
        let want: number;
        try {
          want = evalDim(d, binding);
        } catch {
          const free = dimSymbols(d).filter((s) => !(s in binding));
          throw profileError(`${which}: input '${name}' dim ${i} is ${d}; symbol '${free[0]}' is not a whole dim of any input, so the profile cannot size it`, name);
        }
        if (want === v) return;
        const src = sources.get(d);
        const why = src ? `input '${src.input}' dim ${src.dim} sets ${d} = ${want}` : `${d} = ${want} at ${describeSymbols(dimSymbols(d), binding, sources)}`;
        throw profileError(`${which}: input '${name}' dim ${i} (${d}) has ${bound} ${v}, but ${why}`, name);
      });
    }
  }
  return out;
}

/**
 * The symbol values of concrete input shapes that lie inside a profile, as
 * setInputShape needs them. Errors name the input, the dim, its symbol and the
 * bound it crosses (`input 'ids' dim 1 (seq) is 300, above the profile's max 256`).
 */
export function shapeBinding(graph: Graph, profile: OptimizationProfile | undefined, shapes: Readonly<Record<string, readonly number[]>>, index = 0): Record<string, number> {
  profileBindings(graph, profile, index); // the profile itself must be consistent
  const sources = symbolSources(graph);
  const binding: Record<string, number> = {};
  for (const name of graph.inputs) {
    const shape = graph.types[name]!.shape;
    const given = shapes[name];
    if (!given) {
      if (shape.every((d) => typeof d === 'number')) continue;
      throw profileError(`input '${name}' ${formatShape(shape)} has dynamic dims; its shape must be given`, name);
    }
    if (given.length !== shape.length) throw profileError(`input '${name}' is ${formatShape(shape)}, got rank ${given.length} ${formatShape(given)}`, name);
  }
  for (const [sym, src] of sources) {
    const given = shapes[src.input];
    if (given) binding[sym] = given[src.dim]!;
  }
  for (const name of graph.inputs) {
    const given = shapes[name];
    if (!given) continue;
    const p = profile?.getDimensions(name);
    graph.types[name]!.shape.forEach((d, i) => {
      const v = given[i]!;
      const label = `input '${name}' dim ${i}${typeof d === 'string' ? ` (${d})` : ''}`;
      if (!Number.isInteger(v) || v < 0) throw profileError(`${label} is ${v}; dims are non-negative integers`, name);
      if (p && v < p.min[i]!) throw profileError(`${label} is ${v}, below the profile's min ${p.min[i]} (optimization profile ${index}: min ${formatShape(p.min)}, max ${formatShape(p.max)})`, name);
      if (p && v > p.max[i]!) throw profileError(`${label} is ${v}, above the profile's max ${p.max[i]} (optimization profile ${index}: min ${formatShape(p.min)}, max ${formatShape(p.max)})`, name);
      const want = evalDim(d, binding);
      if (want !== v) {
        const src = typeof d === 'string' ? sources.get(d) : undefined;
        const why = typeof d === 'number' ? `the network fixes it at ${d}` : src ? `input '${src.input}' dim ${src.dim} sets ${d} = ${want}` : `${d} = ${want}`;
        throw profileError(`${label} is ${v}, but ${why}`, name);
      }
    });
  }
  return binding;
}

/**
 * The opt binding of a static profile (min = opt = max), as the static build path
 * wants it. Ranges are refused here; dynamic builds use profileBindings.
 */
export function bindProfile(graph: Graph, profile: OptimizationProfile | undefined): Record<string, number> {
  const b = profileBindings(graph, profile);
  for (const name of profile?.inputs ?? []) {
    const p = profile!.getDimensions(name)!;
    p.min.forEach((m, i) => {
      if (m !== p.max[i]) throw profileError(`input '${name}' dim ${i} (${graph.types[name]!.shape[i]}): range ${m}..${p.max[i]} is dynamic; this build supports static profiles only (min = opt = max)`, name);
    });
  }
  return b.opt;
}

const CHECK_ORDER: readonly ProfileBound[] = ['opt', 'min', 'max'];

function needHolds(need: ShapeNeed, binding: Readonly<Record<string, number>>): boolean {
  const a = evalDim(need.a, binding);
  const b = evalDim(need.b, binding);
  return need.kind === 'eq' ? a === b : a >= b;
}

/** `reshape`, `matMul`, `layerNormalization`: the op as the DSL method names it. */
const opWord = (op: string) => op.charAt(0).toLowerCase() + op.slice(1);

/**
 * Checks a network against a profile at its min, opt and max: every shape condition
 * must hold, then the network specialized to each bound must verify. Returns the
 * bindings. A failure names the layer, the condition as written, the bound and the
 * symbol values with the input dims they come from.
 */
export function validateProfile(graph: Graph, profile: OptimizationProfile | undefined, index = 0): ProfileBindings {
  const bindings = profileBindings(graph, profile, index);
  const needs = shapeNeeds(graph);
  const sources = symbolSources(graph);
  // opt first: it is the shape the builder tunes for, and the one users look at first.
  for (const bound of CHECK_ORDER) {
    const binding = bindings[bound];
    for (const need of needs) {
      if (needHolds(need, binding)) continue;
      const symbols = [...new Set([...dimSymbols(need.a), ...dimSymbols(need.b)])].sort();
      throw new KilnError(
        'KILN_PROFILE',
        `${opWord(need.op)} '${need.layer}' needs ${need.text}, false at ${bound} ${describeSymbols(symbols, binding, sources)} (optimization profile ${index})`,
        { layer: need.layer, op: need.op, expected: need.text, received: `${bound} ${symbols.map((s) => `${s}=${binding[s]}`).join(' ')}` },
      );
    }
  }
  for (const bound of CHECK_ORDER) {
    const binding = bindings[bound];
    try {
      specializeShapes(graph, binding);
    } catch (e) {
      if (!(e instanceof KilnError)) throw e;
      const at = Object.keys(binding).sort().map((s) => `${s}=${binding[s]}`).join(', ');
      throw new KilnError(e.code, `optimization profile ${index} at ${bound} (${at}): ${e.message}`, { layer: e.layer, op: e.op, argument: e.argument, expected: e.expected, received: e.received });
    }
  }
  return bindings;
}
