// checkPass: the contract every kiln pass keeps, checked on random networks against
// the reference interpreter (ONNX Runtime's differential testing, TVM's mutation
// check). For each network the pass must:
//  1. leave its input untouched (structural hash before and after);
//  2. produce a graph the verifier accepts;
//  3. compute the same outputs, within a tolerance, as the network it was given;
//  4. return its very input when it changes nothing (never a new but equal graph);
//  5. be idempotent: run again on its own output, return that output object.
// A failure throws fast-check's report: the seed and path to replay it, the shrunk
// network (printed graph and its replayable spec) and what went wrong, with the
// graph the pass produced.
import fc from 'fast-check';
import { interpret } from '../../src/interpret/index.js';
import { printGraph, structuralEqual, structuralHash, verify, type Graph } from '../../src/ir/index.js';
import { makeContext, type Pass, type PassContext } from '../pass.js';
import { networkArbitrary, type NetworkArbitraryOptions, type RandomNetwork } from './arbitraries.js';
import { compareOutputs, type Tolerance } from './compare.js';

export interface CheckPassOptions extends NetworkArbitraryOptions {
  /** Random networks to try (default 100). */
  numRuns?: number;
  /** Replays a reported failure: pass the seed (and path) fast-check printed. */
  seed?: number;
  path?: string;
  /** Output tolerance; default rtol 1e-4 / atol 1e-5 for f32, 2e-2 for f16, 6e-2 for bf16. */
  tolerance?: Tolerance;
  /** Check idempotence (default true); turn off for a pass meant to run in a fixpoint loop. */
  idempotent?: boolean;
  /** The logger and options handed to the pass. */
  context?: Partial<PassContext>;
}

export interface CheckPassReport {
  runs: number;
  /** How many networks the pass changed: a pass that never fires proves nothing. */
  changed: number;
  layersBefore: number;
  layersAfter: number;
}

// bf16 keeps 8 significant bits to f16's 11, so its rounding is 8x coarser: a rewrite that rounds
// at other points (a scale folded into the weights, one wide GEMM) moves outputs further.
const LOW_PRECISION: Readonly<Record<'f16' | 'bf16', Tolerance>> = { f16: { rtol: 2e-2, atol: 2e-2 }, bf16: { rtol: 6e-2, atol: 6e-2 } };

/** The failure of one network, with the graph the pass produced. */
export class PassCheckError extends Error {
  declare readonly after: Graph;

  constructor(readonly pass: string, readonly why: string, after: Graph) {
    super(`${pass}: ${why}\nafter the pass:\n${printGraph(after)}`);
    this.name = 'PassCheckError';
    // Not enumerable: test runners print an error's fields, and the message already shows the graph.
    Object.defineProperty(this, 'after', { value: after, enumerable: false });
  }
}

/** Steps 1-5 on one network; throws a PassCheckError. Returns whether the pass changed it. */
export function checkPassOn(pass: Pass | ((g: Graph) => Graph), net: Pick<RandomNetwork, 'graph' | 'inputs'>, options: Omit<CheckPassOptions, 'numRuns'> = {}): { changed: boolean; after: Graph } {
  const ctx = makeContext(options.context);
  const run = typeof pass === 'function' ? pass : (g: Graph) => pass.run(g, ctx);
  const name = typeof pass === 'function' ? pass.name || 'pass' : pass.name;
  const input = net.graph;
  const hash = structuralHash(input);
  const after = run(input);
  const fail = (why: string): never => {
    throw new PassCheckError(name, why, after);
  };
  if (structuralHash(input) !== hash) fail('the pass mutated its input graph');
  try {
    verify(after);
  } catch (e) {
    fail(`the pass produced a graph the verifier rejects: ${(e as Error).message}`);
  }
  if (after !== input && structuralEqual(after, input)) fail('the pass returned a new graph equal to its input; return the input itself when nothing changes');
  const dtype = input.types[input.inputs[0]!]?.dtype;
  const tol = options.tolerance ?? (dtype === 'f16' || dtype === 'bf16' ? LOW_PRECISION[dtype] : {});
  const mismatch = compareOutputs(interpret(input, net.inputs), interpret(after, net.inputs), tol);
  if (mismatch) fail(`outputs differ from the input network's: ${mismatch}`);
  if (options.idempotent ?? true) {
    const again = run(after);
    if (again !== after) fail(`not idempotent: a second run ${structuralEqual(again, after) ? 'returned a new but equal graph' : `changed the graph again:\n${printGraph(again)}`}`);
  }
  return { changed: after !== input, after };
}

/** Runs steps 1-5 on `numRuns` random networks (fast-check), shrinking any failure. */
export function checkPass(pass: Pass | ((g: Graph) => Graph), options: CheckPassOptions = {}): CheckPassReport {
  const report: CheckPassReport = { runs: 0, changed: 0, layersBefore: 0, layersAfter: 0 };
  fc.assert(
    fc.property(networkArbitrary(options), (net) => {
      const { changed, after } = checkPassOn(pass, net, options);
      report.runs++;
      if (changed) report.changed++;
      report.layersBefore += net.graph.nodes.length;
      report.layersAfter += after.nodes.length;
    }),
    // The error goes into the report, so the message alone says what broke and shows the graph after the pass.
    { numRuns: options.numRuns ?? 100, seed: options.seed, path: options.path, includeErrorInReport: true },
  );
  return report;
}
