// Optimization profiles (min / opt / max per input), TensorRT's shape. For now engines
// are static: every profile must pin min = opt = max, and the builder specializes the
// network to those shapes. Dynamic ranges come with the dynamic-shapes work.
import { KilnError, formatShape, type Dim, type Graph } from '../ir/index.js';

export interface ProfileDims {
  min: readonly number[];
  opt: readonly number[];
  max: readonly number[];
}

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

/**
 * Binds every symbolic dim of the network's inputs from the profile. Returns the
 * binding (e.g. { batch: 1 }); errors name the input, the dim and the bound.
 */
export function bindProfile(graph: Graph, profile: OptimizationProfile | undefined): Record<string, number> {
  const binding: Record<string, number> = {};
  for (const name of profile?.inputs ?? []) {
    if (!graph.inputs.includes(name)) {
      throw new KilnError('KILN_PROFILE', `profile names input '${name}', but the network's inputs are: ${graph.inputs.join(', ')}`, { argument: name });
    }
  }
  for (const name of graph.inputs) {
    const shape = graph.types[name]!.shape;
    const symbolic = shape.some((d) => typeof d === 'string');
    const p = profile?.getDimensions(name);
    if (!p) {
      if (symbolic) throw new KilnError('KILN_PROFILE', `input '${name}' has dynamic shape ${formatShape(shape)}; add an optimization profile that sets its dimensions`, { argument: name, received: formatShape(shape) });
      continue;
    }
    if (p.opt.length !== shape.length) {
      throw new KilnError('KILN_PROFILE', `profile for input '${name}' has rank ${p.opt.length}, the input is ${formatShape(shape)}`, { argument: name, expected: formatShape(shape), received: formatShape(p.opt) });
    }
    shape.forEach((d: Dim, i) => {
      const { min, opt, max } = { min: p.min[i]!, opt: p.opt[i]!, max: p.max[i]! };
      if (min !== max) {
        throw new KilnError('KILN_PROFILE', `input '${name}' dim ${i} (${d}): range ${min}..${max} is dynamic; this build supports static profiles only (min = opt = max)`, { argument: name });
      }
      if (typeof d === 'number') {
        if (opt !== d) throw new KilnError('KILN_PROFILE', `input '${name}' dim ${i} is fixed at ${d}, the profile sets ${opt}`, { argument: name, expected: String(d), received: String(opt) });
      } else if (d in binding && binding[d] !== opt) {
        throw new KilnError('KILN_PROFILE', `dim '${d}' is bound to ${binding[d]} by another input, input '${name}' sets ${opt}`, { argument: name });
      } else {
        binding[d] = opt;
      }
    });
  }
  return binding;
}
