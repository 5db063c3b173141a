// Structural hash and equality. Two graphs are equal when they compute the same
// thing the same way: same ops, attributes, wiring and constant contents, whatever
// their internal value and layer names (TVM's structural equality). Graph input and
// output names are part of the interface, so they count.
import type { Graph } from './graph.js';
import { formatType } from './shape.js';

function fnv1a(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function hashBytes(data: ArrayBufferView): string {
  const b = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let h1 = 0x811c9dc5;
  let h2 = 0x01234567;
  for (let i = 0; i < b.length; i++) {
    h1 = Math.imul(h1 ^ b[i]!, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ b[i]!, 0x5bd1e995) >>> 0;
  }
  return `${h1.toString(16)}${h2.toString(16)}:${b.length}`;
}

function stableAttrs(attrs: Readonly<Record<string, unknown>>): string {
  return Object.keys(attrs).sort().map((k) => `${k}=${JSON.stringify(attrs[k])}`).join(',');
}

/** A canonical text of the graph with internal names replaced by position. */
export function canonicalForm(graph: Graph): string {
  const names = new Map<string, string>();
  graph.inputs.forEach((n) => names.set(n, `%in:${n}`));
  const lines: string[] = [`inputs ${graph.inputs.map((n) => `${n}:${formatType(graph.types[n]!)}`).join(' ')}`];
  let next = 0;
  const ref = (v: string): string => {
    if (v === '') return '_';
    let r = names.get(v);
    if (r === undefined) {
      const c = graph.constants[v];
      r = c ? `@${formatType(c.type)}#${hashBytes(c.data)}` : `?${v}`;
      names.set(v, r);
    }
    return r;
  };
  for (const node of graph.nodes) {
    const ins = node.inputs.map(ref).join(' ');
    const outs = node.outputs.map((o) => {
      const r = `%${next++}`;
      names.set(o, r);
      return `${r}:${formatType(graph.types[o]!)}`;
    });
    lines.push(`${outs.join(' ')} = ${node.op}[${stableAttrs(node.attrs)}](${ins})`);
  }
  lines.push(`outputs ${graph.outputs.map((o) => `${o}=${ref(o)}`).join(' ')}`);
  return lines.join('\n');
}

export function structuralHash(graph: Graph): string {
  const text = canonicalForm(graph);
  return `${fnv1a(0x811c9dc5, text).toString(16).padStart(8, '0')}${fnv1a(0x12345678, text).toString(16).padStart(8, '0')}`;
}

export function structuralEqual(a: Graph, b: Graph): boolean {
  return a === b || canonicalForm(a) === canonicalForm(b);
}
