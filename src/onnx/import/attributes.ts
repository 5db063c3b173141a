// Typed access to a node's attributes. A wrong attribute type is the model's mistake
// and throws (via `fail`); an absent one takes the default the importer gives, as
// ONNX's operator schemas define it. Reads are recorded so an importer can ask which
// attributes it never looked at.
import { ATTRIBUTE_TYPES } from '../proto/schema.js';
import { bytesToString, has, toNumber, type AttributeProto, type TensorProto } from '../proto/messages.js';

const TYPE_NAMES = Object.fromEntries(Object.entries(ATTRIBUTE_TYPES).map(([k, v]) => [v, k])) as Record<number, string>;

/** The type of an attribute, inferred from its populated field when `type` is missing (IR version 1 models). */
export function attributeType(a: AttributeProto): number {
  if (a.type) return a.type;
  if (has(a, 'f')) return ATTRIBUTE_TYPES.FLOAT;
  if (has(a, 'i')) return ATTRIBUTE_TYPES.INT;
  if (has(a, 's')) return ATTRIBUTE_TYPES.STRING;
  if (has(a, 't')) return ATTRIBUTE_TYPES.TENSOR;
  if (has(a, 'g')) return ATTRIBUTE_TYPES.GRAPH;
  if (a.floats.length) return ATTRIBUTE_TYPES.FLOATS;
  if (a.ints.length) return ATTRIBUTE_TYPES.INTS;
  if (a.strings.length) return ATTRIBUTE_TYPES.STRINGS;
  if (a.tensors.length) return ATTRIBUTE_TYPES.TENSORS;
  if (a.graphs.length) return ATTRIBUTE_TYPES.GRAPHS;
  return ATTRIBUTE_TYPES.UNDEFINED;
}

export function attributeTypeName(code: number): string {
  return TYPE_NAMES[code] ?? `type ${code}`;
}

export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();
  readonly read = new Set<string>();

  constructor(protos: readonly AttributeProto[], private readonly fail: (message: string) => never) {
    for (const a of protos) {
      if (this.byName.has(a.name)) fail(`attribute '${a.name}' is given twice`);
      this.byName.set(a.name, a);
    }
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: number): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (!a) return undefined;
    this.read.add(name);
    const actual = attributeType(a);
    if (actual !== type) this.fail(`attribute '${name}' must be ${attributeTypeName(type)}, got ${attributeTypeName(actual)}`);
    return a;
  }

  int(name: string): number | undefined;
  int(name: string, fallback: number): number;
  int(name: string, fallback?: number): number | undefined {
    const a = this.get(name, ATTRIBUTE_TYPES.INT);
    return a ? toNumber(a.i) : fallback;
  }

  float(name: string): number | undefined;
  float(name: string, fallback: number): number;
  float(name: string, fallback?: number): number | undefined {
    const a = this.get(name, ATTRIBUTE_TYPES.FLOAT);
    return a ? a.f : fallback;
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    const a = this.get(name, ATTRIBUTE_TYPES.STRING);
    return a ? bytesToString(a.s) : fallback;
  }

  ints(name: string): number[] | undefined;
  ints(name: string, fallback: number[]): number[];
  ints(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, ATTRIBUTE_TYPES.INTS);
    return a ? a.ints.map(toNumber) : fallback;
  }

  floats(name: string): number[] | undefined;
  floats(name: string, fallback: number[]): number[];
  floats(name: string, fallback?: number[]): number[] | undefined {
    const a = this.get(name, ATTRIBUTE_TYPES.FLOATS);
    return a ? [...a.floats] : fallback;
  }

  strings(name: string): string[] | undefined {
    const a = this.get(name, ATTRIBUTE_TYPES.STRINGS);
    return a ? a.strings.map(bytesToString) : undefined;
  }

  tensor(name: string): TensorProto | undefined {
    return this.get(name, ATTRIBUTE_TYPES.TENSOR)?.t;
  }

  /** The raw proto, for attributes of kinds the importers do not read (graphs, sparse tensors). */
  proto(name: string): AttributeProto | undefined {
    this.read.add(name);
    return this.byName.get(name);
  }
}
