// Orders a GraphProto's nodes so every input is produced before it is read. ONNX
// requires topological order, but producers do not always honour it, so kiln sorts
// (Kahn's algorithm, ties kept in file order) and turns each structural fault into
// an error naming the node: an input that names nothing, a value produced twice, a cycle.
import { OnnxError } from '../errors.js';
import type { NodeProto } from '../proto/messages.js';

/** Outer-scope values a node's subgraphs read (If/Loop/Scan bodies name them directly, not as inputs). */
function implicitInputs(node: NodeProto): string[] {
  const out: string[] = [];
  for (const a of node.attribute) {
    for (const g of [...(a.g ? [a.g] : []), ...a.graphs]) {
      const local = new Set([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name), ...g.node.flatMap((n) => n.output)]);
      for (const n of g.node) for (const name of [...n.input, ...implicitInputs(n)]) if (name !== '' && !local.has(name)) out.push(name);
    }
  }
  return out;
}

/** Node indices in a valid evaluation order. `defined` holds graph inputs and initializers. */
export function topoSort(nodes: readonly NodeProto[], defined: ReadonlySet<string>, file: string): number[] {
  const label = (i: number) => ({ file, nodeIndex: i, nodeName: nodes[i]!.name, opType: nodes[i]!.op_type });
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output) {
      if (o === '') continue;
      if (defined.has(o)) throw new OnnxError(`output '${o}' redefines a graph input or initializer`, label(i));
      const other = producer.get(o);
      if (other !== undefined) throw new OnnxError(`output '${o}' is also produced by node ${other} '${nodes[other]!.name}'`, label(i));
      producer.set(o, i);
    }
  });
  const waiting = nodes.map(() => 0);
  const readers = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => {
    for (const name of new Set([...n.input, ...implicitInputs(n)])) {
      if (name === '' || defined.has(name)) continue;
      const p = producer.get(name);
      if (p === undefined) throw new OnnxError(`input '${name}' names no graph input, initializer or node output`, label(i));
      waiting[i]!++;
      readers[p]!.push(i);
    }
  });
  const order: number[] = [];
  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  for (let k = 0; k < ready.length; k++) {
    const i = ready[k]!;
    order.push(i);
    for (const r of readers[i]!) if (--waiting[r]! === 0) ready.push(r);
  }
  if (order.length < nodes.length) {
    const cycle = findCycle(nodes, producer, new Set(nodes.map((_, i) => i).filter((i) => waiting[i]! > 0)));
    const path = cycle.map((i) => `${i} '${nodes[i]!.name}'`).join(' -> ');
    throw new OnnxError(`the graph has a cycle: nodes ${path}`, label(cycle[0]!));
  }
  return order;
}

/** Walks back along unresolved inputs from a stuck node until a node repeats. */
function findCycle(nodes: readonly NodeProto[], producer: Map<string, number>, stuck: Set<number>): number[] {
  let i = [...stuck][0]!;
  const seen = new Map<number, number>();
  const path: number[] = [];
  while (!seen.has(i)) {
    seen.set(i, path.length);
    path.push(i);
    const next = nodes[i]!.input.map((n) => producer.get(n)).find((p) => p !== undefined && stuck.has(p));
    if (next === undefined) break;
    i = next;
  }
  const start = seen.get(i) ?? 0;
  const loop = path.slice(start).reverse();
  const first = loop.indexOf(Math.min(...loop));
  const rotated = [...loop.slice(first), ...loop.slice(0, first)];
  return [...rotated, rotated[0]!];
}
