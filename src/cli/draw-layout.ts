// The graph `kiln draw` draws, and where each node goes. Graphs come from a network
// (before / after optimization) or from a plan's layer list; both become boxes for
// layers, pills for network inputs and outputs, and edges along tensors (weights are
// left out: they would crowd the picture, and tooltips name them). Layout is the
// classic layered one (Sugiyama, simplified): rank = longest path from an input,
// order within a rank by the mean position of a node's parents, which untangles the
// chains and diamonds of inference graphs well enough without a solver.
import { formatType, type Graph } from '../ir/index.js';
import type { Engine } from '../runtime/engine.js';

export interface DrawNode {
  id: string;
  kind: 'layer' | 'input' | 'output';
  label: string;
  detail: string;
  precision: string;
  /** Original layer names this node stands for (itself when not fused). */
  fused: string[];
  tooltip: string;
}

export interface DrawEdge {
  from: string;
  to: string;
  tensor: string;
}

export interface DrawGraph {
  nodes: DrawNode[];
  edges: DrawEdge[];
}

interface LayerLike {
  name: string;
  op: string;
  kernel?: string;
  precision: string;
  fused: readonly string[];
  inputs: readonly string[];
  outputs: readonly string[];
}

function drawGraphOf(layers: readonly LayerLike[], inputs: readonly { name: string; type: string }[], outputs: readonly { name: string; type: string }[], typeOf: (v: string) => string | undefined): DrawGraph {
  const nodes: DrawNode[] = [];
  const edges: DrawEdge[] = [];
  const producer = new Map<string, string>();
  for (const t of inputs) {
    nodes.push({ id: `in:${t.name}`, kind: 'input', label: t.name, detail: t.type, precision: 'io', fused: [], tooltip: `network input ${t.name}: ${t.type}` });
    producer.set(t.name, `in:${t.name}`);
  }
  for (const l of layers) {
    const id = `layer:${l.name}`;
    const weights = l.inputs.filter((v) => v !== '' && !producer.has(v));
    const tip = [
      `${l.name} (${l.op}${l.kernel ? `, kernel ${l.kernel}` : ''}, ${l.precision})`,
      l.fused.length > 1 ? `fused from: ${l.fused.join(', ')}` : '',
      `outputs: ${l.outputs.map((o) => `${o} ${typeOf(o) ?? ''}`).join(', ')}`,
      weights.length ? `weights: ${weights.map((w) => `${w} ${typeOf(w) ?? ''}`).join(', ')}` : '',
    ].filter(Boolean).join('\n');
    nodes.push({ id, kind: 'layer', label: shortLabel(l.name, l.fused), detail: l.kernel ? `${l.op} · ${l.kernel}` : l.op, precision: l.precision, fused: [...l.fused], tooltip: tip });
    for (const v of l.inputs) {
      const from = producer.get(v);
      if (from) edges.push({ from, to: id, tensor: v });
    }
    for (const o of l.outputs) producer.set(o, id);
  }
  for (const t of outputs) {
    const id = `out:${t.name}`;
    nodes.push({ id, kind: 'output', label: t.name, detail: t.type, precision: 'io', fused: [], tooltip: `network output ${t.name}: ${t.type}` });
    const from = producer.get(t.name);
    if (from) edges.push({ from, to: id, tensor: t.name });
  }
  return { nodes, edges };
}

const MAX_LABEL = 36;

/** ONNX names are long paths whose tail says most (`.../conv.0.0/Conv`); the full name stays in the tooltip. */
function shortLabel(name: string, fused: readonly string[]): string {
  if (name.length <= MAX_LABEL) return name;
  const tail = (s: string, n: number) => (s.length <= n ? s : `…${s.slice(s.length - n + 1)}`);
  return fused.length > 1 ? `${tail(fused[0]!, MAX_LABEL - 8)} + ${fused.length - 1} more` : tail(name, MAX_LABEL);
}

export function drawGraphFromNetwork(g: Graph): DrawGraph {
  const typeOf = (v: string) => (g.types[v] ? formatType(g.types[v]!) : undefined);
  const layers = g.nodes.map((n) => ({
    name: n.name, op: n.op, precision: g.types[n.outputs[0]!]?.dtype ?? '?', fused: n.fused ?? [n.name], inputs: n.inputs, outputs: n.outputs,
  }));
  const io = (names: readonly string[]) => names.map((name) => ({ name, type: typeOf(name) ?? '?' }));
  return drawGraphOf(layers, io(g.inputs), io(g.outputs), typeOf);
}

export function drawGraphFromEngine(engine: Engine, precisionOf: (layer: Engine['layers'][number]) => string): DrawGraph {
  const io = [...engine.inputs, ...engine.outputs];
  const typeOf = (v: string) => {
    const t = io.find((x) => x.name === v);
    return t && formatType(t);
  };
  const layers = engine.layers.map((l) => ({ ...l, precision: precisionOf(l) }));
  const ioList = (list: typeof engine.inputs) => list.map((t) => ({ name: t.name, type: formatType(t) }));
  return drawGraphOf(layers, ioList(engine.inputs), ioList(engine.outputs), typeOf);
}

export interface Placed {
  node: DrawNode;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Layout {
  placed: Map<string, Placed>;
  width: number;
  height: number;
}

const NODE_H = 42;
const GAP_X = 28;
const GAP_Y = 46;
const MARGIN = 16;
/** An estimate of text width at the page's 12px font; layout only needs it roughly. */
const charWidth = (s: string) => s.length * 7;

export function layoutGraph(g: DrawGraph): Layout {
  const parents = new Map<string, string[]>(g.nodes.map((n) => [n.id, []]));
  for (const e of g.edges) parents.get(e.to)!.push(e.from);
  // 1. Rank: nodes come in topological order, so one sweep gives the longest path.
  const rank = new Map<string, number>();
  for (const n of g.nodes) rank.set(n.id, Math.max(-1, ...parents.get(n.id)!.map((p) => rank.get(p) ?? 0)) + 1);
  const ranks: DrawNode[][] = [];
  for (const n of g.nodes) (ranks[rank.get(n.id)!] ??= []).push(n);
  // 2. Order each rank by the mean index of its parents in the rank above.
  const index = new Map<string, number>();
  for (const row of ranks) {
    if (!row) continue;
    const key = (n: DrawNode) => {
      const ps = parents.get(n.id)!.filter((p) => index.has(p));
      return ps.length ? ps.reduce((a, p) => a + index.get(p)!, 0) / ps.length : Infinity;
    };
    const keyed = row.map((n, i) => ({ n, k: key(n), i }));
    keyed.sort((a, b) => (a.k === b.k ? a.i - b.i : a.k === Infinity ? 1 : b.k === Infinity ? -1 : a.k - b.k));
    row.splice(0, row.length, ...keyed.map((e) => e.n));
    row.forEach((n, i) => index.set(n.id, i));
  }
  // 3. Coordinates: each rank centred on the widest one.
  const sizes = new Map(g.nodes.map((n) => [n.id, Math.max(96, charWidth(n.label) + 24, charWidth(n.detail) + 24)]));
  const rowWidth = (row: DrawNode[]) => row.reduce((a, n) => a + sizes.get(n.id)!, 0) + GAP_X * (row.length - 1);
  const width = Math.max(200, ...ranks.filter(Boolean).map(rowWidth)) + 2 * MARGIN;
  const placed = new Map<string, Placed>();
  ranks.forEach((row, r) => {
    if (!row) return;
    let x = (width - rowWidth(row)) / 2;
    for (const n of row) {
      const w = sizes.get(n.id)!;
      placed.set(n.id, { node: n, x, y: MARGIN + r * (NODE_H + GAP_Y), w, h: NODE_H });
      x += w + GAP_X;
    }
  });
  return { placed, width, height: MARGIN * 2 + ranks.length * (NODE_H + GAP_Y) - GAP_Y };
}
