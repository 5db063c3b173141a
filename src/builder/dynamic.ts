// Dynamic builds: from a network with symbolic input dims and its optimization
// profiles to what lowering needs (codegen/lower.ts LowerShapes). Symbols are read at
// run time from whole input dims (`batch` in x[batch,3,224,224]); each profile binds
// them at its min, opt and max; the arena is planned for each symbol's largest value
// over all profiles (one arena shared by every shape and profile), tactics are timed
// at profile 0's opt. Shapes that depend on tensor values (NonZero) cannot be planned.
import type { LowerShapes } from '../../codegen/lower.js';
import type { PlanProfile } from '../../codegen/plan-desc.js';
import { KilnError, dimSymbols, evalDim, formatShape, parseDim, type Graph } from '../ir/index.js';
import type { OptimizationProfile } from './profile.js';

export type Binding = Record<string, number>;

export interface DynamicBuild {
  shapes: LowerShapes;
  /** Per profile: the symbol values at its min, opt and max. */
  bindings: { min: Binding; opt: Binding; max: Binding }[];
}

const BOUNDS = ['min', 'opt', 'max'] as const;

/** True when the build needs dynamic shapes: several profiles, or a profile with a range. */
export function needsDynamicShapes(graph: Graph, profiles: readonly OptimizationProfile[]): boolean {
  if (profiles.length > 1) return true;
  const p = profiles[0];
  return !!p && graph.inputs.some((name) => {
    const d = p.getDimensions(name);
    return !!d && d.min.some((m, i) => m !== d.max[i]);
  });
}

function profileShapes(graph: Graph, profile: OptimizationProfile, index: number): PlanProfile {
  for (const name of profile.inputs) {
    if (!graph.inputs.includes(name)) throw new KilnError('KILN_PROFILE', `optimization profile ${index} names input '${name}', but the network's inputs are: ${graph.inputs.join(', ')}`, { argument: name });
  }
  const out: PlanProfile = { min: [], opt: [], max: [] };
  for (const name of graph.inputs) {
    const shape = graph.types[name]!.shape;
    const p = profile.getDimensions(name);
    if (!p) {
      if (shape.some((d) => typeof d !== 'number')) {
        throw new KilnError('KILN_PROFILE', `input '${name}' has dynamic shape ${formatShape(shape)}; optimization profile ${index} must set its dimensions`, { argument: name, received: formatShape(shape) });
      }
      for (const b of BOUNDS) out[b].push([...(shape as number[])]);
      continue;
    }
    if (p.opt.length !== shape.length) {
      throw new KilnError('KILN_PROFILE', `optimization profile ${index} gives input '${name}' rank ${p.opt.length}, the input is ${formatShape(shape)}`, { argument: name, expected: formatShape(shape), received: formatShape(p.opt) });
    }
    shape.forEach((d, i) => {
      if (p.min[i]! < 1) throw new KilnError('KILN_PROFILE', `optimization profile ${index}: input '${name}' dim ${i} (${d}) has min ${p.min[i]}; dynamic dims start at 1`, { argument: name });
      if (typeof d === 'number' && (p.min[i] !== d || p.max[i] !== d)) {
        throw new KilnError('KILN_PROFILE', `optimization profile ${index}: input '${name}' dim ${i} is fixed at ${d}, the profile sets ${p.min[i]}..${p.max[i]}`, { argument: name, expected: String(d), received: `${p.min[i]}..${p.max[i]}` });
      }
    });
    for (const b of BOUNDS) out[b].push([...p[b]]);
  }
  return out;
}

/** Where each symbol is read: the first input dim that is exactly that symbol. */
function symbolSources(graph: Graph): LowerShapes['symbols'] {
  const symbols: LowerShapes['symbols'] = [];
  for (const input of graph.inputs) {
    graph.types[input]!.shape.forEach((d, dim) => {
      if (typeof d !== 'string') return;
      const n = parseDim(d);
      if (n.kind === 'sym' && !symbols.some((s) => s.name === n.name)) symbols.push({ name: n.name, input, dim });
    });
  }
  for (const input of graph.inputs) {
    graph.types[input]!.shape.forEach((d, dim) => {
      for (const s of typeof d === 'string' ? dimSymbols(d) : []) {
        if (!symbols.some((x) => x.name === s)) {
          throw new KilnError('KILN_PROFILE', `input '${input}' dim ${dim} (${d}): symbol '${s}' is not a whole dim of any input, so its value cannot be read from the input shapes`, { argument: input });
        }
      }
    });
  }
  return symbols;
}

/** Every value's shape must follow from the input symbols; NonZero-style outputs name the layer. */
function checkShapesFollowInputs(graph: Graph, symbols: ReadonlySet<string>): void {
  for (const node of graph.nodes) {
    for (const out of node.outputs) {
      const shape = graph.types[out]!.shape;
      const foreign = shape.flatMap((d) => (typeof d === 'string' ? dimSymbols(d) : [])).filter((s) => !symbols.has(s));
      if (foreign.length > 0) {
        throw new KilnError('KILN_PROFILE', `layer '${node.name}' (${node.op}): output '${out}' has shape ${formatShape(shape)}, but '${foreign[0]}' is not a dim of any input, so the shape cannot be computed from the input shapes (a size that depends on tensor values); a dynamic-shape engine cannot plan it`, { layer: node.name });
      }
    }
  }
}

export function dynamicBuild(graph: Graph, profiles: readonly OptimizationProfile[]): DynamicBuild {
  if (profiles.length === 0) throw new KilnError('KILN_PROFILE', 'a network with dynamic input shapes needs an optimization profile (config.addOptimizationProfile)');
  const symbols = symbolSources(graph);
  checkShapesFollowInputs(graph, new Set(symbols.map((s) => s.name)));
  const planProfiles = profiles.map((p, i) => profileShapes(graph, p, i));
  const bindings = planProfiles.map((p, index) => {
    const at = (bound: (typeof BOUNDS)[number]): Binding => {
      const binding: Binding = Object.fromEntries(symbols.map((s) => [s.name, p[bound][graph.inputs.indexOf(s.input)]![s.dim]!]));
      // Every other input dim must agree with the symbols it mentions.
      graph.inputs.forEach((input, i) => graph.types[input]!.shape.forEach((d, dim) => {
        if (typeof d !== 'string') return;
        const want = evalDim(d, binding);
        const given = p[bound][i]![dim]!;
        if (want === given) return;
        const src = symbols.find((s) => s.name === d);
        const why = src ? `input '${src.input}' dim ${src.dim} sets ${d} = ${want}` : `${d} = ${want} at ${Object.entries(binding).map(([k, v]) => `${k}=${v}`).join(' ')}`;
        throw new KilnError('KILN_PROFILE', `optimization profile ${index}: input '${input}' dim ${dim} (${d}) has ${bound} ${given}, but ${why}`, { argument: input, expected: String(want), received: String(given) });
      }));
      return binding;
    };
    return { min: at('min'), opt: at('opt'), max: at('max') };
  });
  const capacity: Binding = Object.fromEntries(symbols.map((s) => [s.name, Math.max(...bindings.map((b) => b.max[s.name]!))]));
  const checkAt = bindings.flatMap((b) => [b.min, b.opt, b.max]);
  return { shapes: { symbols, capacity, checkAt, profiles: planProfiles }, bindings };
}
