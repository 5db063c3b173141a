// The fluent tensor handle (TensorRT's ITensor, with the layer factories as methods):
// each method records one layer in its network and returns the layer's output.
import { KilnError, canonicalDim, formatType, type Dim, type TensorType } from '../src/ir/index.js';
import type { Network } from './network.js';
import type { WeightsArg } from './weights.js';

type Operand = NetworkTensor | number;

export interface ConvOptions {
  name?: string;
  outChannels: number;
  kernel: readonly number[];
  weights: WeightsArg;
  bias?: WeightsArg;
  strides?: readonly number[];
  /** Symmetric padding per spatial dim; or give padsBegin / padsEnd. */
  padding?: readonly number[];
  padsBegin?: readonly number[];
  padsEnd?: readonly number[];
  dilations?: readonly number[];
  groups?: number;
}

export interface PoolOptions {
  name?: string;
  kernel: readonly number[];
  /** Defaults to the kernel (non-overlapping windows), as TensorRT's pooling does. */
  strides?: readonly number[];
  padding?: readonly number[];
  padsBegin?: readonly number[];
  padsEnd?: readonly number[];
  countIncludePad?: boolean;
}

export interface ScaleOptions {
  name?: string;
  mode: 'uniform' | 'channel' | 'elementwise';
  shift?: WeightsArg;
  scale?: WeightsArg;
  power?: WeightsArg;
  channelAxis?: number;
}

export interface FullyConnectedOptions {
  name?: string;
  outputs: number;
  /** [outputs, inputs], as TensorRT's and PyTorch's fully connected layers store them. */
  weights: WeightsArg;
  bias?: WeightsArg;
}

export interface ShuffleOptions {
  name?: string;
  firstTranspose?: readonly number[];
  reshape?: readonly Dim[];
  secondTranspose?: readonly number[];
}

export class NetworkTensor {
  constructor(readonly network: Network, private value: string) {}

  get name(): string {
    return this.value;
  }

  get type(): TensorType {
    return this.network.typeOf(this.value);
  }

  get shape(): readonly Dim[] {
    return this.type.shape;
  }

  toString(): string {
    return `${this.value}: ${formatType(this.type)}`;
  }

  /** @internal */
  rename(to: string): void {
    this.value = to;
  }

  // Activations.
  relu(name?: string) { return this.unary('Relu', name); }
  sigmoid(name?: string) { return this.unary('Sigmoid', name); }
  tanh(name?: string) { return this.unary('Tanh', name); }
  gelu(name?: string) { return this.unary('Gelu', name); }
  silu(name?: string) { return this.unary('Silu', name); }
  leakyRelu(alpha = 0.01, name?: string) { return this.unary('LeakyRelu', name, { alpha }); }
  clip(min: number, max: number, name?: string) { return this.unary('Clip', name, { min, max }); }

  // Elementwise (numpy broadcasting; a number becomes a scalar constant).
  add(other: Operand, name?: string) { return this.binary('Add', other, name); }
  sub(other: Operand, name?: string) { return this.binary('Sub', other, name); }
  mul(other: Operand, name?: string) { return this.binary('Mul', other, name); }
  div(other: Operand, name?: string) { return this.binary('Div', other, name); }
  max(other: Operand, name?: string) { return this.binary('Max', other, name); }
  min(other: Operand, name?: string) { return this.binary('Min', other, name); }
  pow(other: Operand, name?: string) { return this.binary('Pow', other, name); }

  softmax(axis = -1, name?: string): NetworkTensor {
    return this.network.addLayer('Softmax', name, [this], { axis });
  }

  /** y = (x * scale + shift) ^ power, uniform, per channel or elementwise (IScaleLayer). */
  scale(o: ScaleOptions): NetworkTensor {
    const layer = this.network.layerName(o.name, 'Scale');
    const rank = this.shape.length;
    const axis = o.channelAxis ?? 1;
    const dims = o.mode === 'uniform' ? [1] : o.mode === 'channel' ? [this.shape[axis < 0 ? axis + rank : axis]] : this.shape;
    const shape = this.staticDims(dims, layer, 'scale');
    const w = (arg: WeightsArg | undefined, argument: string) => (arg === undefined ? undefined : this.network.weights(layer, argument, arg, shape));
    return this.network.addLayer('Scale', layer, [this, w(o.shift, 'shift'), w(o.scale, 'scale'), w(o.power, 'power')], { mode: o.mode, channelAxis: axis });
  }

  /** N-d convolution (IConvolutionLayer); weights are [outChannels, inChannels/groups, ...kernel]. */
  conv(o: ConvOptions): NetworkTensor {
    const layer = this.network.layerName(o.name, 'Conv');
    const groups = o.groups ?? 1;
    const cin = this.shape[1];
    if (typeof cin !== 'number') throw new KilnError('KILN_DSL', `layer '${layer}': input ${this.toString()} needs a static channel dim`, { layer, argument: 'input' });
    if (!Number.isInteger(groups) || groups < 1 || cin % groups !== 0) {
      throw new KilnError('KILN_DSL', `layer '${layer}': groups ${groups} must divide the ${cin} input channels of ${this.toString()}`, { layer, argument: 'groups' });
    }
    const w = this.network.weights(layer, 'weights', o.weights, [o.outChannels, cin / groups, ...o.kernel]);
    const b = o.bias === undefined ? undefined : this.network.weights(layer, 'bias', o.bias, [o.outChannels]);
    return this.network.addLayer('Conv', layer, [this, w, b], {
      strides: [...(o.strides ?? [])],
      padsBegin: [...(o.padsBegin ?? o.padding ?? [])],
      padsEnd: [...(o.padsEnd ?? o.padding ?? [])],
      dilations: [...(o.dilations ?? [])],
      groups,
    });
  }

  maxPool(o: PoolOptions): NetworkTensor { return this.pool('max', o); }
  avgPool(o: PoolOptions): NetworkTensor { return this.pool('avg', o); }

  /** Matrix multiply (IMatrixMultiplyLayer) with optional transposes of the last two dims. */
  matmul(other: NetworkTensor, o: { name?: string; transA?: boolean; transB?: boolean } = {}): NetworkTensor {
    return this.network.addLayer('MatMul', o.name, [this, other], { transA: o.transA ?? false, transB: o.transB ?? false });
  }

  /**
   * Fully connected: flatten all but the first dim, multiply by weights^T, add bias.
   * Recorded as Reshape + MatMul + Add so the fusion pass can fold bias and activation.
   */
  fullyConnected(o: FullyConnectedOptions): NetworkTensor {
    const layer = this.network.layerName(o.name, 'FullyConnected');
    const inner = this.staticDims(this.shape.slice(1), layer, 'input').reduce((a, b) => a * b, 1);
    const w = this.network.weights(layer, 'weights', o.weights, [o.outputs, inner]);
    const flat = this.shape.length === 2 ? this : this.network.addLayer('Reshape', `${layer}.flatten`, [this], { shape: [0, inner] });
    const y = this.network.addLayer('MatMul', layer, [flat, w], { transA: false, transB: true });
    if (o.bias === undefined) return y;
    const b = this.network.weights(layer, 'bias', o.bias, [o.outputs]);
    return this.network.addLayer('Add', `${layer}.bias_add`, [y, b], {});
  }

  /** Dims may be symbolic expressions (`'batch*seq'`); 0 copies a dim, -1 infers one. */
  reshape(shape: readonly Dim[], name?: string): NetworkTensor {
    // Canonical text in the attribute, so passes and lowering read one spelling; bad text is left for inference to report at the layer.
    const canonical = (d: Dim) => {
      try {
        return canonicalDim(d);
      } catch {
        return d;
      }
    };
    return this.network.addLayer('Reshape', name, [this], { shape: shape.map((d) => (typeof d === 'string' ? canonical(d) : d)) });
  }

  transpose(perm: readonly number[], name?: string): NetworkTensor {
    return this.network.addLayer('Transpose', name, [this], { perm: [...perm] });
  }

  /** IShuffleLayer: first transpose, reshape, second transpose; each step optional. */
  shuffle(o: ShuffleOptions): NetworkTensor {
    const base = this.network.layerName(o.name, 'Shuffle');
    const steps: [string, (t: NetworkTensor, n: string) => NetworkTensor][] = [];
    if (o.firstTranspose) steps.push(['transpose1', (t, n) => t.transpose(o.firstTranspose!, n)]);
    if (o.reshape) steps.push(['reshape', (t, n) => t.reshape(o.reshape!, n)]);
    if (o.secondTranspose) steps.push(['transpose2', (t, n) => t.transpose(o.secondTranspose!, n)]);
    if (steps.length === 0) throw new KilnError('KILN_DSL', `layer '${base}': shuffle needs firstTranspose, reshape or secondTranspose`, { layer: base });
    return steps.reduce<NetworkTensor>((t, [suffix, f], i) => f(t, steps.length === 1 ? base : `${base}.${suffix}`), this);
  }

  private pool(mode: 'max' | 'avg', o: PoolOptions): NetworkTensor {
    return this.network.addLayer('Pool', o.name, [this], {
      mode,
      kernel: [...o.kernel],
      strides: [...(o.strides ?? o.kernel)],
      padsBegin: [...(o.padsBegin ?? o.padding ?? [])],
      padsEnd: [...(o.padsEnd ?? o.padding ?? [])],
      countIncludePad: o.countIncludePad ?? false,
    });
  }

  private unary(op: string, name: string | undefined, attrs: Record<string, number> = {}): NetworkTensor {
    return this.network.addLayer(op, name, [this], attrs);
  }

  private binary(op: string, other: Operand, name?: string): NetworkTensor {
    if (typeof other === 'number') {
      const layer = this.network.layerName(name, op);
      const c = this.network.weights(layer, 'b', other, [1]);
      return this.network.addLayer(op, layer, [this, c], {});
    }
    return this.network.addLayer(op, name, [this, other], {});
  }

  private staticDims(dims: readonly (Dim | undefined)[], layer: string, argument: string): number[] {
    if (dims.some((d) => typeof d !== 'number')) {
      throw new KilnError('KILN_DSL', `layer '${layer}': ${argument} needs static dims, ${this.toString()} has [${dims.join(',')}]`, { layer, argument });
    }
    return dims as number[];
  }
}
