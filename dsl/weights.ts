// Weights for DSL layers: named weights looked up in the network's weight store
// (as SampleMNIST loads its weight map by name), or literal arrays and numbers.
import { DTYPE_INFO, KilnError, formatType, type DType, type TypedArray } from '../src/ir/index.js';

export interface WeightTensor {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

/** A weight argument: a name in the network's store, a tensor, a flat array, or a scalar. */
export type WeightsArg = string | WeightTensor | Float32Array | readonly number[] | number;

export type WeightStore = ReadonlyMap<string, WeightTensor>;

export function toWeightStore(src: WeightStore | Readonly<Record<string, WeightTensor>> | undefined): Map<string, WeightTensor> {
  if (!src) return new Map();
  return src instanceof Map ? new Map(src) : new Map(Object.entries(src));
}

/**
 * Resolves a weight argument to a tensor of the wanted shape; messages name the layer
 * and argument. A flat array or scalar takes `shape`; a named or shaped
 * tensor must already have it.
 */
export function resolveWeights(store: WeightStore, arg: WeightsArg, shape: readonly number[], layer: string, argument: string): WeightTensor {
  const where = `layer '${layer}': argument '${argument}'`;
  const fail = (message: string, expected?: string, received?: string): never => {
    throw new KilnError('KILN_DSL', `${where}: ${message}`, { layer, argument, expected, received });
  };
  const want = formatType({ dtype: 'f32', shape });
  const count = shape.reduce((a, b) => a * b, 1);
  if (typeof arg === 'number') return { dtype: 'f32', shape, data: new Float32Array(count).fill(arg) };
  if (Array.isArray(arg) || arg instanceof Float32Array) {
    const values = arg as ArrayLike<number>;
    if (values.length !== count) fail(`expected ${count} values (${want}), received ${values.length}`, want, `${values.length} values`);
    return { dtype: 'f32', shape, data: Float32Array.from(values) };
  }
  let t: WeightTensor;
  if (typeof arg === 'string') {
    const found = store.get(arg);
    if (!found) {
      const known = [...store.keys()];
      fail(`weights '${arg}' are not in the network's weights (${known.length ? `it has: ${known.join(', ')}` : 'none were given'})`);
    }
    t = found!;
  } else {
    t = arg as WeightTensor;
  }
  const volume = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== volume || !(t.data instanceof DTYPE_INFO[t.dtype].array)) {
    fail(`weights ${formatType(t)} hold ${t.data.length} elements`);
  }
  if (t.dtype !== 'f32' || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(`expected ${want}, received ${formatType(t)}`, want, formatType(t));
  }
  return t;
}
