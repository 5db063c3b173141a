// Shared helpers for pass tests: deterministic weights and a way to record the
// fused layers that Expected graphs need (the DSL has no method for a fused node),
// and the assertions every pass test makes: Input vs Expected, same outputs, unchanged.
import { expect } from 'vitest';
import type { Network, NetworkTensor } from '../../dsl/index.js';
import { interpret, mulberry32, randomTensor } from '../../src/interpret/index.js';
import { printGraph, structuralEqual, structuralHash, type AttrValue, type Graph } from '../../src/ir/index.js';
import { applyPass, type Logger, type Pass, type Severity } from '../../passes/index.js';
import { compareOutputs, type Tolerance } from '../../passes/testing/index.js';

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

/** Structural equality, shown as a diff of the printed graphs when it fails. */
export function expectGraph(actual: Graph, expected: Graph): void {
  if (!structuralEqual(actual, expected)) expect(printGraph(actual)).toBe(printGraph(expected));
}

/** Both graphs compute the same outputs (interpreter, deterministic random inputs). */
export function expectSameOutputs(before: Graph, after: Graph, tol: Tolerance = {}): void {
  const inputs = Object.fromEntries(before.inputs.map((name, i) => {
    const t = before.types[name]!;
    return [name, randomTensor(t.dtype, t.shape as number[], mulberry32(101 + i))];
  }));
  expect(compareOutputs(interpret(before, inputs), interpret(after, inputs), tol)).toBeUndefined();
}

/** Asserts `pass` returns its very input, and that input is untouched. */
export function expectUnchanged(pass: Pass, graph: Graph): void {
  const hash = structuralHash(graph);
  expect(applyPass(pass, graph)).toBe(graph);
  expect(structuralHash(graph)).toBe(hash);
}
