// What a pass is: a named pure function Graph -> Graph (TVM's pass + PassInfo).
// Returning the very same graph object means "nothing changed"; the manager, the
// fixpoint driver and the tests all rely on that identity.
import { KilnError, type Graph } from '../src/ir/index.js';

export type Severity = 'error' | 'warning' | 'info' | 'verbose';

/** Where passes report; library code never prints. */
export type Logger = (severity: Severity, message: string) => void;

export type PassOptions = Readonly<Record<string, unknown>>;

export interface PassContext {
  readonly logger: Logger;
  /** Free-form options a pipeline hands to every pass (e.g. the optimization level). */
  readonly options: PassOptions;
}

export interface Pass {
  readonly kind: 'pass';
  readonly name: string;
  /** Passes that must have run earlier in the same pipeline. */
  readonly requires: readonly string[];
  readonly run: (graph: Graph, ctx: PassContext) => Graph;
}

export interface PassSpec {
  name: string;
  run: (graph: Graph, ctx: PassContext) => Graph;
  requires?: readonly string[];
}

export function definePass(spec: PassSpec): Pass {
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(spec.name)) {
    throw new KilnError('KILN_PASS', `pass name '${spec.name}' must be a VerbNoun identifier such as 'FuseEpilogues'`, { argument: 'name' });
  }
  return Object.freeze({ kind: 'pass', name: spec.name, requires: Object.freeze([...(spec.requires ?? [])]), run: spec.run });
}

/** An error raised by or about one pass; `pass` names it. */
export class PassError extends KilnError {
  readonly pass: string;

  constructor(pass: string, message: string, options: { cause?: unknown; layer?: string } = {}) {
    super('KILN_PASS', message, { layer: options.layer });
    this.name = 'PassError';
    this.pass = pass;
    if (options.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

export const silentLogger: Logger = () => {};

export function makeContext(partial: Partial<PassContext> = {}): PassContext {
  return { logger: partial.logger ?? silentLogger, options: partial.options ?? {} };
}

/** Runs one pass outside a pipeline, e.g. in tests: `applyPass(FuseEpilogues, g)`. */
export function applyPass(pass: Pass, graph: Graph, ctx: Partial<PassContext> = {}): Graph {
  return pass.run(graph, makeContext(ctx));
}
