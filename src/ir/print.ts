// The printer: one line per layer, types printed the one kiln way (`f32[batch,1,28,28]`).
import type { Graph } from './graph.js';
import { formatType } from './shape.js';

function formatAttr(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(',')}]` : String(v);
}

export function printGraph(graph: Graph): string {
  const t = (v: string) => (v === '' ? '_' : `%${v}`);
  const lines = [`graph(${graph.inputs.map((i) => `%${i}: ${formatType(graph.types[i]!)}`).join(', ')}) {`];
  for (const [name, c] of Object.entries(graph.constants)) lines.push(`  %${name}: ${formatType(c.type)} = constant`);
  for (const n of graph.nodes) {
    const attrs = Object.entries(n.attrs).map(([k, v]) => `${k}=${formatAttr(v)}`).join(', ');
    const outs = n.outputs.map((o) => `%${o}: ${formatType(graph.types[o]!)}`).join(', ');
    lines.push(`  ${outs} = ${n.op}${attrs ? `[${attrs}]` : ''}(${n.inputs.map(t).join(', ')})  # ${n.name}`);
  }
  lines.push(`  return ${graph.outputs.map((o) => `%${o}`).join(', ')}`, '}');
  return lines.join('\n');
}
