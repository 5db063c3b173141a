// The scalar activation functions, in one table keyed by epilogue name. The
// activation kernels and the Conv/MatMul epilogues both read it, so a fused layer
// and the layers it replaced compute the very same function.
import type { Activation } from '../ir/index.js';

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
/** GELU's tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
export const GELU_TANH_K = 0.044715;

/**
 * The error function to double precision (relative error ~1e-15), which Math lacks.
 * Uses erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): every
 * term is positive, so unlike the alternating Taylor series nothing cancels. Past
 * |x| = 6, 1 - erf(x) < 3e-17, below double resolution at 1.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  const x2 = ax * ax;
  let term = ax;
  let sum = ax;
  for (let n = 1; term > sum * 1e-17; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return Math.sign(x) * TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

type ScalarFn = (x: number, alpha: number, beta: number) => number;

/** alpha/beta follow the epilogue attributes: leakyRelu slope = alpha; clip range = [alpha, beta]. */
export const ACTIVATION_FNS: Readonly<Record<Activation, ScalarFn>> = {
  none: (x) => x,
  relu: (x) => Math.max(0, x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => Math.tanh(x),
  leakyRelu: (x, alpha) => (x < 0 ? alpha * x : x),
  clip: (x, lo, hi) => (x < lo ? lo : x > hi ? hi : x),
  gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  silu: (x) => x / (1 + Math.exp(-x)),
  geluTanh: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_K * x * x * x))),
};

/** The activation `name` with its parameters bound, ready to map over values. */
export function activationFn(name: Activation, alpha = 0, beta = 0): (x: number) => number {
  const f = ACTIVATION_FNS[name];
  if (!f) throw new Error(`unknown activation '${String(name)}'`);
  return (x) => f(x, alpha, beta);
}
