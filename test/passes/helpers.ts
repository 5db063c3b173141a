// Shared helpers for pass tests: deterministic weights and a way to record the
// fused layers that Expected graphs need (the DSL has no method for a fused node).
import type { Network, NetworkTensor } from '../../dsl/index.js';
import type { AttrValue } from '../../src/ir/index.js';
import type { Logger, Severity } from '../../passes/index.js';

/** n deterministic weights, distinct per `salt`. */
export function weights(n: number, salt = 1): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(salt * 97 + i * 1.7) / 2);
}

/** Records a layer by op name, e.g. a fused `MatMul` with a bias input and an activation. */
export function layer(net: Network, op: string, name: string, inputs: readonly (NetworkTensor | undefined)[], attrs: Record<string, AttrValue>): NetworkTensor {
  return net.addLayer(op, name, inputs, attrs);
}

export function collectingLogger(): { logger: Logger; messages: { severity: Severity; message: string }[] } {
  const messages: { severity: Severity; message: string }[] = [];
  return { logger: (severity, message) => messages.push({ severity, message }), messages };
}

export const CONV_ATTRS = { strides: [], padsBegin: [], padsEnd: [], dilations: [], groups: 1 } as const;
