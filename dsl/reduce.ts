// Fluent methods of the reduce family, added to NetworkTensor by module augmentation:
// reductions (x.reduce('mean', { axes: [1] }) or x.reduceMean([1])), argMax/argMin,
// topK (values and indices), cumSum, logSoftmax, hardmax, and the layer / instance /
// batch normalizations (TensorRT's IReduceLayer, ITopKLayer, INormalizationLayer).
import { KilnError, type ReduceMode } from '../src/ir/index.js';
import { NetworkTensor } from './tensor.js';
import type { WeightsArg } from './weights.js';

export interface ReduceOptions {
  name?: string;
  /** Axes to reduce (negative counts from the end); all axes when empty or absent. */
  axes?: readonly number[];
  /** Keep reduced dims as size 1 (default true, as ONNX). */
  keepDims?: boolean;
  /** With no axes, reduce nothing (each element alone) instead of everything. */
  noopWithEmptyAxes?: boolean;
}

export interface ArgOptions {
  name?: string;
  keepDims?: boolean;
  /** Index of the last extreme instead of the first. */
  selectLastIndex?: boolean;
}

export interface TopKOptions {
  name?: string;
  axis?: number;
  /** Largest (default) or smallest k. */
  largest?: boolean;
  sorted?: boolean;
}

export interface CumSumOptions {
  name?: string;
  exclusive?: boolean;
  reverse?: boolean;
}

/** A parameter: constant weights (flat arrays take the expected shape) or a tensor of the network. */
export type ParamArg = WeightsArg | NetworkTensor;

export interface LayerNormOptions {
  name?: string;
  /** Shape x.shape[axis:] (or broadcastable onto it). */
  scale: ParamArg;
  bias?: ParamArg;
  /** First normalized axis (default -1). */
  axis?: number;
  epsilon?: number;
}

export interface InstanceNormOptions {
  name?: string;
  /** [C] each. */
  scale: ParamArg;
  bias: ParamArg;
  epsilon?: number;
}

export interface BatchNormOptions extends InstanceNormOptions {
  /** The running statistics, [C] each. */
  mean: ParamArg;
  var: ParamArg;
}

type Shorthand = (axes?: readonly number[], o?: Omit<ReduceOptions, 'axes'>) => NetworkTensor;

declare module './tensor.js' {
  interface NetworkTensor {
    reduce(mode: ReduceMode, o?: ReduceOptions): NetworkTensor;
    reduceSum: Shorthand;
    reduceMean: Shorthand;
    reduceMax: Shorthand;
    reduceMin: Shorthand;
    reduceProd: Shorthand;
    reduceL1: Shorthand;
    reduceL2: Shorthand;
    reduceLogSum: Shorthand;
    reduceLogSumExp: Shorthand;
    reduceSumSquare: Shorthand;
    /** i64 indices of the maxima along `axis` (default 0, as ONNX). */
    argMax(axis?: number, o?: ArgOptions): NetworkTensor;
    argMin(axis?: number, o?: ArgOptions): NetworkTensor;
    topK(k: number, o?: TopKOptions): { values: NetworkTensor; indices: NetworkTensor };
    cumSum(axis: number, o?: CumSumOptions): NetworkTensor;
    logSoftmax(axis?: number, name?: string): NetworkTensor;
    hardmax(axis?: number, name?: string): NetworkTensor;
    layerNorm(o: LayerNormOptions): NetworkTensor;
    instanceNorm(o: InstanceNormOptions): NetworkTensor;
    batchNorm(o: BatchNormOptions): NetworkTensor;
  }
}

NetworkTensor.prototype.reduce = function (this: NetworkTensor, mode: ReduceMode, o: ReduceOptions = {}): NetworkTensor {
  return this.network.addLayer('Reduce', o.name, [this], {
    mode, axes: [...(o.axes ?? [])], keepDims: o.keepDims ?? true, noopWithEmptyAxes: o.noopWithEmptyAxes ?? false,
  });
};

const SHORTHANDS: Record<string, ReduceMode> = {
  reduceSum: 'sum', reduceMean: 'mean', reduceMax: 'max', reduceMin: 'min', reduceProd: 'prod', reduceL1: 'l1',
  reduceL2: 'l2', reduceLogSum: 'logSum', reduceLogSumExp: 'logSumExp', reduceSumSquare: 'sumSquare',
};
for (const [method, mode] of Object.entries(SHORTHANDS)) {
  (NetworkTensor.prototype as unknown as Record<string, Shorthand>)[method] = function (this: NetworkTensor, axes?: readonly number[], o: Omit<ReduceOptions, 'axes'> = {}) {
    return this.reduce(mode, { ...o, axes });
  };
}

function arg(x: NetworkTensor, op: 'ArgMax' | 'ArgMin', axis: number, o: ArgOptions): NetworkTensor {
  return x.network.addLayer(op, o.name, [x], { axis, keepDims: o.keepDims ?? true, selectLastIndex: o.selectLastIndex ?? false });
}
NetworkTensor.prototype.argMax = function (this: NetworkTensor, axis = 0, o: ArgOptions = {}) { return arg(this, 'ArgMax', axis, o); };
NetworkTensor.prototype.argMin = function (this: NetworkTensor, axis = 0, o: ArgOptions = {}) { return arg(this, 'ArgMin', axis, o); };

NetworkTensor.prototype.topK = function (this: NetworkTensor, k: number, o: TopKOptions = {}) {
  const [values, indices] = this.network.addMultiOutputLayer('TopK', o.name, [this], { k, axis: o.axis ?? -1, largest: o.largest ?? true, sorted: o.sorted ?? true }, ['values', 'indices']);
  return { values: values!, indices: indices! };
};

NetworkTensor.prototype.cumSum = function (this: NetworkTensor, axis: number, o: CumSumOptions = {}) {
  return this.network.addLayer('CumSum', o.name, [this], { axis, exclusive: o.exclusive ?? false, reverse: o.reverse ?? false });
};

NetworkTensor.prototype.logSoftmax = function (this: NetworkTensor, axis = -1, name?: string) {
  return this.network.addLayer('LogSoftmax', name, [this], { axis });
};
NetworkTensor.prototype.hardmax = function (this: NetworkTensor, axis = -1, name?: string) {
  return this.network.addLayer('Hardmax', name, [this], { axis });
};

/** A parameter as a layer input: tensors as they are (inference checks them), else constant weights of `dims`. */
function param(x: NetworkTensor, layer: string, argument: string, p: ParamArg | undefined, dims: readonly (number | string)[]): NetworkTensor | string | undefined {
  if (p === undefined || p instanceof NetworkTensor) return p;
  if (dims.some((d) => typeof d !== 'number')) {
    throw new KilnError('KILN_DSL', `layer '${layer}': argument '${argument}' as weights needs static dims, ${x.toString()} normalizes [${dims.join(',')}]`, { layer, argument });
  }
  return x.network.weights(layer, argument, p, dims as number[]);
}

NetworkTensor.prototype.layerNorm = function (this: NetworkTensor, o: LayerNormOptions) {
  const layer = this.network.layerName(o.name, 'LayerNormalization');
  const axis = o.axis ?? -1;
  const rank = this.shape.length;
  const first = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(first) || first < 0 || first >= rank) {
    throw new KilnError('KILN_DSL', `layer '${layer}': axis ${axis} is out of range for ${this.toString()}`, { layer, argument: 'axis' });
  }
  const dims = this.shape.slice(first);
  return this.network.addLayer('LayerNormalization', layer, [this, param(this, layer, 'scale', o.scale, dims), param(this, layer, 'bias', o.bias, dims)], {
    axis, epsilon: o.epsilon ?? 1e-5,
  });
};

function channelNorm(x: NetworkTensor, op: string, o: BatchNormOptions | InstanceNormOptions, names: readonly (keyof BatchNormOptions)[]): NetworkTensor {
  const layer = x.network.layerName(o.name, op);
  const c = x.shape.slice(1, 2);
  const params = names.map((n) => param(x, layer, n, (o as BatchNormOptions)[n] as ParamArg, c));
  return x.network.addLayer(op, layer, [x, ...params], { epsilon: o.epsilon ?? 1e-5 });
}
NetworkTensor.prototype.instanceNorm = function (this: NetworkTensor, o: InstanceNormOptions) {
  return channelNorm(this, 'InstanceNormalization', o, ['scale', 'bias']);
};
NetworkTensor.prototype.batchNorm = function (this: NetworkTensor, o: BatchNormOptions) {
  return channelNorm(this, 'BatchNormalization', o, ['scale', 'bias', 'mean', 'var']);
};
