// The one op registry. Each op is declared once with its inputs, attributes and
// type/shape inference; the DSL, verifier, interpreter, passes and codegen all read
// it, and refer to groups of ops (activation, binary) rather than hand-copied lists.
import { ShapeError, type ErrorContext } from './errors.js';
import type { AttrValue, Attrs, Node } from './graph.js';
import { formatType, type Dim, type TensorType } from './shape.js';
import { dimGe, dimsEqual } from './dim-expr.js';

/**
 * A condition on symbolic dims that inference could neither prove nor refute, such
 * as a reshape's `batch*seq*256 == batch*128*512`. Verification collects them; a
 * profile is checked against each at its min, opt and max (builder/profile.ts).
 */
export interface ShapeNeed {
  kind: 'eq' | 'ge';
  a: Dim;
  b: Dim;
  /** As the user reads it, e.g. `batch*seq*256 == batch*128*512`. */
  text: string;
  layer: string;
  op: string;
}

export type OpGroup = 'activation' | 'binary' | 'scale' | 'conv' | 'pool' | 'matmul' | 'softmax' | 'movement' | 'recurrent' | 'reduce' | 'normalization' | 'elementwise';

export type AttrKind = 'int' | 'float' | 'bool' | 'string' | 'ints' | 'dims' | 'floats' | 'strings';

export interface AttrSpec {
  kind: AttrKind;
  /** Absent means the attribute is required. */
  default?: AttrValue;
  oneOf?: readonly string[];
}

export interface InputSpec {
  name: string;
  optional?: boolean;
  /** The last input may repeat (Concat). */
  variadic?: boolean;
}

export interface InferContext {
  node: Node;
  /** Input types in declaration order; undefined for an absent optional input. */
  inputs: readonly (TensorType | undefined)[];
  attrs: Attrs;
  /** Throws a ShapeError prefixed with the layer and op. */
  fail(message: string, ctx?: ErrorContext): never;
  /**
   * States that `a == b` (or `a >= b`) must hold: fails when provably false, returns
   * when provably true, and otherwise records the need for the profile to check.
   */
  need(kind: 'eq' | 'ge', a: Dim, b: Dim, text?: string): void;
}

export interface OpDef {
  name: string;
  group: OpGroup;
  inputs: readonly InputSpec[];
  attrs: Readonly<Record<string, AttrSpec>>;
  infer(ctx: InferContext): TensorType[];
}

const registry = new Map<string, OpDef>();

export function defineOp(def: OpDef): OpDef {
  if (registry.has(def.name)) throw new Error(`op '${def.name}' is registered twice`);
  registry.set(def.name, def);
  return def;
}

export function getOp(name: string): OpDef {
  const def = registry.get(name);
  if (!def) throw new ShapeError(`unknown op '${name}'; known ops: ${[...registry.keys()].join(', ')}`, { op: name });
  return def;
}

/** Every registered op, in registration order. */
export function allOps(): OpDef[] {
  return [...registry.values()];
}

export function hasOp(name: string): boolean {
  return registry.has(name);
}

export function opsInGroup(group: OpGroup): OpDef[] {
  return [...registry.values()].filter((d) => d.group === group);
}

export function layerLabel(node: Pick<Node, 'name' | 'op'>): string {
  return `layer '${node.name}' (${node.op})`;
}

function attrMatches(kind: AttrKind, v: AttrValue): boolean {
  switch (kind) {
    case 'int': return typeof v === 'number' && Number.isInteger(v);
    case 'float': return typeof v === 'number';
    case 'bool': return typeof v === 'boolean';
    case 'string': return typeof v === 'string';
    case 'ints': return Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x));
    case 'dims': return Array.isArray(v) && v.every((x) => typeof x === 'string' || Number.isInteger(x));
    case 'floats': return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'strings': return Array.isArray(v) && v.every((x) => typeof x === 'string');
  }
}

/** Fills defaults and checks every attribute against its spec. */
export function resolveAttrs(def: OpDef, node: Node): Attrs {
  const fail = (m: string, ctx: ErrorContext = {}): never => {
    throw new ShapeError(`${layerLabel(node)}: ${m}`, { layer: node.name, op: node.op, ...ctx });
  };
  for (const key of Object.keys(node.attrs)) {
    if (!(key in def.attrs)) fail(`unknown attribute '${key}'; ${def.name} takes: ${Object.keys(def.attrs).join(', ') || 'none'}`, { argument: key });
  }
  const out: Record<string, AttrValue> = {};
  for (const [key, spec] of Object.entries(def.attrs)) {
    const v = node.attrs[key] ?? spec.default;
    if (v === undefined) fail(`attribute '${key}' is required`, { argument: key });
    if (!attrMatches(spec.kind, v!)) fail(`attribute '${key}' must be ${spec.kind}, got ${JSON.stringify(v)}`, { argument: key, expected: spec.kind, received: JSON.stringify(v) });
    if (spec.oneOf && !spec.oneOf.includes(v as string)) {
      fail(`attribute '${key}' must be one of ${spec.oneOf.join(', ')}, got '${String(v)}'`, { argument: key, expected: spec.oneOf.join('|'), received: String(v) });
    }
    out[key] = v!;
  }
  return out;
}

/** Runs the op's inference for a node whose input types are known; unproven dim conditions go to `needs`. */
export function inferNode(node: Node, inputTypes: readonly (TensorType | undefined)[], needs?: ShapeNeed[]): TensorType[] {
  const def = getOp(node.op);
  const fail = (m: string, ctx: ErrorContext = {}): never => {
    throw new ShapeError(`${layerLabel(node)}: ${m}`, { layer: node.name, op: node.op, ...ctx });
  };
  const fixed = def.inputs.filter((i) => !i.variadic);
  const variadic = def.inputs.find((i) => i.variadic);
  const required = def.inputs.filter((i) => !i.optional && !i.variadic).length;
  if (inputTypes.length < required + (variadic ? 1 : 0) || (!variadic && inputTypes.length > def.inputs.length)) {
    const want = variadic ? `at least ${required + 1}` : required === def.inputs.length ? `${required}` : `${required} to ${def.inputs.length}`;
    fail(`expects ${want} inputs (${def.inputs.map((i) => i.name).join(', ')}), got ${inputTypes.length}`);
  }
  inputTypes.forEach((t, i) => {
    const spec = i < fixed.length ? fixed[i]! : variadic!;
    if (!t && !spec.optional) fail(`input '${spec.name}' is required`, { argument: spec.name });
  });
  const attrs = resolveAttrs(def, node);
  const need = (kind: 'eq' | 'ge', a: Dim, b: Dim, text = `${a} ${kind === 'eq' ? '==' : '>='} ${b}`): void => {
    const holds = kind === 'eq' ? dimsEqual(a, b) : dimGe(a, b);
    if (holds === false) fail(`needs ${text}, which never holds`, { expected: text });
    if (holds === undefined) needs?.push({ kind, a, b, text, layer: node.name, op: node.op });
  };
  return def.infer({ node, inputs: inputTypes, attrs, fail, need });
}

/** `input 'x' f32[1,2]` for messages. */
export function describeInput(name: string, t: TensorType): string {
  return `input '${name}' ${formatType(t)}`;
}
