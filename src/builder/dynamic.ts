// Dynamic builds: from a network with symbolic input dims and its optimization
// profiles to what lowering needs (codegen/lower.ts LowerShapes). Symbols are read at
// run time from whole input dims (`batch` in x[batch,3,224,224]); each profile binds
// them at its min, opt and max; the arena is planned for each symbol's largest value
// over all profiles (one arena shared by every shape and profile), tactics are timed
// at profile 0's opt. Shapes that depend on tensor values (NonZero) cannot be planned.
import type { LowerShapes } from '../../codegen/lower.js';
import type { PlanProfile } from '../../codegen/plan-desc.js';
import { KilnError, dimSymbols, formatShape, parseDim, type Graph } from '../ir/index.js';
import { validateProfile, type OptimizationProfile } from './profile.js';

export type Binding = Record<string, number>;

export interface DynamicBuild {
  shapes: LowerShapes;
  /** Per profile: the symbol values at its min, opt and max. */
  bindings: { min: Binding; opt: Binding; max: Binding }[];
}

const BOUNDS = ['min', 'opt', 'max'] as const;

/** True when the build needs dynamic shapes: symbolic inputs with several profiles, or a profile with a range. */
export function needsDynamicShapes(graph: Graph, profiles: readonly OptimizationProfile[]): boolean {
  if (!graph.inputs.some((name) => graph.types[name]!.shape.some((d) => typeof d === 'string'))) return false;
  if (profiles.length > 1) return true;
  const p = profiles[0];
  return !!p && graph.inputs.some((name) => {
    const d = p.getDimensions(name);
    return !!d && d.min.some((m, i) => m !== d.max[i]);
  });
}

/** Per input (graph order) its min / opt / max shape; static inputs give their own. */
function profileShapes(graph: Graph, profile: OptimizationProfile, index: number): PlanProfile {
  const out: PlanProfile = { min: [], opt: [], max: [] };
  for (const name of graph.inputs) {
    const p = profile.getDimensions(name);
    const shape = graph.types[name]!.shape;
    p?.min.forEach((m, i) => {
      if (m < 1) throw new KilnError('KILN_PROFILE', `optimization profile ${index}: input '${name}' dim ${i} (${shape[i]}) has min ${m}; dynamic dims start at 1`, { argument: name });
    });
    for (const b of BOUNDS) out[b].push([...(p ? p[b] : (shape as number[]))]);
  }
  return out;
}

/** Where each symbol is read: the first input dim that is exactly that symbol (plan order). */
function symbolSources(graph: Graph): LowerShapes['symbols'] {
  const symbols: LowerShapes['symbols'] = [];
  for (const input of graph.inputs) {
    graph.types[input]!.shape.forEach((d, dim) => {
      if (typeof d !== 'string') return;
      const n = parseDim(d);
      if (n.kind === 'sym' && !symbols.some((s) => s.name === n.name)) symbols.push({ name: n.name, input, dim });
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
  // Names, ranks, fixed dims, agreement between inputs, and every shape condition of
  // the network (reshape volumes, broadcasts) at each bound: validateProfile's messages.
  const bindings = profiles.map((p, i) => validateProfile(graph, p, i));
  const planProfiles = profiles.map((p, i) => profileShapes(graph, p, i));
  const capacity: Binding = Object.fromEntries(symbols.map((s) => [s.name, Math.max(...bindings.map((b) => b.max[s.name]!))]));
  const checkAt = bindings.flatMap((b) => [b.min, b.opt, b.max]);
  return { shapes: { symbols, capacity, checkAt, profiles: planProfiles }, bindings };
}
