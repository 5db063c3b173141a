// dsl/: the fluent network builder.
export { Network, type NetworkOptions } from './network.js';
export { NetworkTensor, type ConvOptions, type PoolOptions, type ScaleOptions, type FullyConnectedOptions, type ShuffleOptions } from './tensor.js';
export { resolveWeights, type WeightTensor, type WeightsArg, type WeightStore } from './weights.js';
import './layout.js';
export type { ReduceOptions, ArgOptions, TopKOptions, CumSumOptions, LayerNormOptions, InstanceNormOptions, BatchNormOptions } from './reduce.js';
import './reduce.js';
export type { DeconvOptions, RecurrentOptions, GruOptions, LstmOptions, RecurrentOutputs, LstmOutputs } from './recurrent.js';
import './recurrent.js';
import './elementwise.js';
