// Fluent methods of the elementwise family, added to NetworkTensor by module
// augmentation so this family never edits tensor.ts: unary math (x.sqrt()),
// activations with parameters (x.elu(1)), PReLU, comparisons and logic (a.less(b)), Mod,
// Where (cond.where(x, y)) and Cast (x.cast('i64')). A number operand becomes a
// scalar constant of the other operand's dtype.
import { KilnError, formatType, type DType } from '../src/ir/index.js';
import { NetworkTensor } from './tensor.js';

type Operand = NetworkTensor | number;

declare module './tensor.js' {
  interface NetworkTensor {
    sqrt(name?: string): NetworkTensor;
    exp(name?: string): NetworkTensor;
    log(name?: string): NetworkTensor;
    erf(name?: string): NetworkTensor;
    reciprocal(name?: string): NetworkTensor;
    neg(name?: string): NetworkTensor;
    abs(name?: string): NetworkTensor;
    sign(name?: string): NetworkTensor;
    floor(name?: string): NetworkTensor;
    ceil(name?: string): NetworkTensor;
    /** Halves round to even. */
    round(name?: string): NetworkTensor;
    sin(name?: string): NetworkTensor;
    cos(name?: string): NetworkTensor;
    tan(name?: string): NetworkTensor;
    asin(name?: string): NetworkTensor;
    acos(name?: string): NetworkTensor;
    atan(name?: string): NetworkTensor;
    sinh(name?: string): NetworkTensor;
    cosh(name?: string): NetworkTensor;
    asinh(name?: string): NetworkTensor;
    acosh(name?: string): NetworkTensor;
    atanh(name?: string): NetworkTensor;
    hardSwish(name?: string): NetworkTensor;
    softplus(name?: string): NetworkTensor;
    softsign(name?: string): NetworkTensor;
    mish(name?: string): NetworkTensor;
    elu(alpha?: number, name?: string): NetworkTensor;
    selu(o?: { alpha?: number; gamma?: number; name?: string }): NetworkTensor;
    hardSigmoid(alpha?: number, beta?: number, name?: string): NetworkTensor;
    /**
     * x < 0 ? slope * x : x. A tensor slope broadcasts to x; a number is one slope; an
     * array holds one slope per channel (dim 1), as PyTorch's PReLU(num_parameters=C).
     */
    prelu(slope: NetworkTensor | number | readonly number[] | Float32Array, name?: string): NetworkTensor;
    equal(other: Operand, name?: string): NetworkTensor;
    less(other: Operand, name?: string): NetworkTensor;
    greater(other: Operand, name?: string): NetworkTensor;
    lessOrEqual(other: Operand, name?: string): NetworkTensor;
    greaterOrEqual(other: Operand, name?: string): NetworkTensor;
    and(other: NetworkTensor, name?: string): NetworkTensor;
    or(other: NetworkTensor, name?: string): NetworkTensor;
    xor(other: NetworkTensor, name?: string): NetworkTensor;
    not(name?: string): NetworkTensor;
    /** Remainder with the divisor's sign (Python's %) on integers, with the dividend's (C's fmod) on floats. */
    mod(other: Operand, name?: string): NetworkTensor;
    /** Remainder with the dividend's sign (C's fmod), on any numeric dtype. */
    fmod(other: Operand, name?: string): NetworkTensor;
    /** On a bool tensor: this ? x : y, all three broadcast. */
    where(x: Operand, y: Operand, name?: string): NetworkTensor;
    cast(to: DType, name?: string): NetworkTensor;
  }
}

const UNARY_METHODS = {
  sqrt: 'Sqrt', exp: 'Exp', log: 'Log', erf: 'Erf', reciprocal: 'Reciprocal', neg: 'Neg', abs: 'Abs', sign: 'Sign',
  floor: 'Floor', ceil: 'Ceil', round: 'Round', sin: 'Sin', cos: 'Cos', tan: 'Tan', asin: 'Asin', acos: 'Acos',
  atan: 'Atan', sinh: 'Sinh', cosh: 'Cosh', asinh: 'Asinh', acosh: 'Acosh', atanh: 'Atanh', hardSwish: 'HardSwish',
  softplus: 'Softplus', softsign: 'Softsign', mish: 'Mish', not: 'Not',
} as const;

const COMPARE_METHODS = {
  equal: 'Equal', less: 'Less', greater: 'Greater', lessOrEqual: 'LessOrEqual', greaterOrEqual: 'GreaterOrEqual',
  and: 'And', or: 'Or', xor: 'Xor',
} as const;

function define(method: string, fn: (this: NetworkTensor, ...args: never[]) => NetworkTensor): void {
  Object.defineProperty(NetworkTensor.prototype, method, { value: fn, writable: true, configurable: true });
}

for (const [method, op] of Object.entries(UNARY_METHODS)) {
  define(method, function (this: NetworkTensor, name?: string) {
    return this.network.addLayer(op, name, [this], {});
  });
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  i8: [-128, 127], u8: [0, 255], i32: [-(2 ** 24), 2 ** 24], i64: [-(2 ** 24), 2 ** 24], bool: [0, 1],
};

/**
 * A scalar constant of `like`'s dtype. The DSL's constants are f32, so other dtypes
 * get a Cast layer after one, which is exact for every integer below 2^24.
 */
function scalar(like: NetworkTensor, value: number, layer: string, argument: string): NetworkTensor {
  const net = like.network;
  const c = net.constant(`${layer}.${argument}`, value, [1]);
  const dtype = like.type.dtype;
  if (dtype === 'f32') return c;
  const range = INT_RANGE[dtype];
  if (range && !(Number.isInteger(value) && value >= range[0] && value <= range[1])) {
    throw new KilnError('KILN_DSL', `layer '${layer}': argument '${argument}': ${value} is not a ${dtype} value this DSL can make (integers up to 2^24); pass a tensor`, { layer, argument, expected: dtype, received: String(value) });
  }
  return net.addLayer('Cast', `${layer}.${argument}.cast`, [c], { to: dtype });
}

for (const [method, op] of Object.entries(COMPARE_METHODS)) {
  define(method, function (this: NetworkTensor, other: Operand, name?: string) {
    const layer = this.network.layerName(name, op);
    const b = typeof other === 'number' ? scalar(this, other, layer, 'b') : other;
    return this.network.addLayer(op, layer, [this, b], {});
  });
}

for (const method of ['mod', 'fmod']) {
  define(method, function (this: NetworkTensor, other: Operand, name?: string) {
    const layer = this.network.layerName(name, 'Mod');
    const b = typeof other === 'number' ? scalar(this, other, layer, 'b') : other;
    const fmod = method === 'fmod' || ['f32', 'f16', 'bf16'].includes(this.type.dtype) ? 1 : 0;
    return this.network.addLayer('Mod', layer, [this, b], { fmod });
  });
}

define('elu', function (this: NetworkTensor, alpha = 1, name?: string) {
  return this.network.addLayer('Elu', name, [this], { alpha });
});

define('selu', function (this: NetworkTensor, o: { alpha?: number; gamma?: number; name?: string } = {}) {
  const attrs: Record<string, number> = {};
  if (o.alpha !== undefined) attrs.alpha = o.alpha;
  if (o.gamma !== undefined) attrs.gamma = o.gamma;
  return this.network.addLayer('Selu', o.name, [this], attrs);
});

define('hardSigmoid', function (this: NetworkTensor, alpha = 0.2, beta = 0.5, name?: string) {
  return this.network.addLayer('HardSigmoid', name, [this], { alpha, beta });
});

define('prelu', function (this: NetworkTensor, slope: NetworkTensor | number | readonly number[] | Float32Array, name?: string) {
  const layer = this.network.layerName(name, 'PRelu');
  if (slope instanceof NetworkTensor) return this.network.addLayer('PRelu', layer, [this, slope], {});
  if (typeof slope === 'number') return this.network.addLayer('PRelu', layer, [this, this.network.weights(layer, 'slope', slope, [1])], {});
  const channels = this.shape[1];
  if (typeof channels !== 'number') {
    throw new KilnError('KILN_DSL', `layer '${layer}': argument 'slope': per-channel slopes need x with a static dim 1, x is ${this.toString()}`, { layer, argument: 'slope', received: formatType(this.type) });
  }
  const shape = [channels, ...new Array<number>(this.shape.length - 2).fill(1)];
  return this.network.addLayer('PRelu', layer, [this, this.network.weights(layer, 'slope', slope, shape)], {});
});

define('where', function (this: NetworkTensor, x: Operand, y: Operand, name?: string) {
  const layer = this.network.layerName(name, 'Where');
  const like = x instanceof NetworkTensor ? x : y instanceof NetworkTensor ? y : undefined;
  const operand = (v: Operand, argument: string) => {
    if (typeof v !== 'number') return v;
    return like ? scalar(like, v, layer, argument) : this.network.weights(layer, argument, v, [1]);
  };
  return this.network.addLayer('Where', layer, [this, operand(x, 'x'), operand(y, 'y')], {});
});

define('cast', function (this: NetworkTensor, to: DType, name?: string) {
  return this.network.addLayer('Cast', name, [this], { to });
});
