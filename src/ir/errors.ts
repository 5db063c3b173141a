// The few typed errors of kiln. Each carries the context a user needs to find the
// problem: the layer, the op, the argument, and what was expected against what came.
// The message is part of the API (tests assert it).

export interface ErrorContext {
  layer?: string;
  op?: string;
  argument?: string;
  expected?: string;
  received?: string;
}

export class KilnError extends Error {
  readonly code: string;
  readonly layer?: string;
  readonly op?: string;
  readonly argument?: string;
  readonly expected?: string;
  readonly received?: string;

  constructor(code: string, message: string, ctx: ErrorContext = {}) {
    super(message);
    this.name = 'KilnError';
    this.code = code;
    Object.assign(this, ctx);
  }
}

/** A layer's inputs or attributes do not fit its op (shape or type inference failed). */
export class ShapeError extends KilnError {
  constructor(message: string, ctx: ErrorContext = {}) {
    super('KILN_SHAPE', message, ctx);
    this.name = 'ShapeError';
  }
}

/** The graph breaks an invariant (use before definition, dangling output, ...). */
export class GraphError extends KilnError {
  constructor(message: string, ctx: ErrorContext = {}) {
    super('KILN_GRAPH', message, ctx);
    this.name = 'GraphError';
  }
}
