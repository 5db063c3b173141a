// Delta debugging of a failing graph (Polygraphy's `debug reduce`): find a small set
// of layers that still fails the same way. Any subset of layers is a graph of its own
// (subgraph.ts: values it reads but does not make become inputs, fed with the values
// the full model computed there), so the search works on layer lists:
//   1. bisect the shortest failing prefix (in topological order): the culprit is its last layer or before;
//   2. bisect the shortest failing suffix of that prefix: the culprit's inputs come from outside;
//   3. drop layers one at a time while it still fails (ddmin with granularity 1), until nothing drops.
// Monotonicity is assumed by the bisections only to go fast; every accepted step was checked.
import type { Graph, Node } from '../ir/index.js';
import type { Verdict } from './check.js';
import { keepNodes } from './subgraph.js';

export interface ReduceResult {
  graph: Graph;
  verdict: Verdict;
  checks: number;
}

/** Same failure: a build error stays a build error, a mismatch a mismatch. */
export function sameFailure(a: Verdict, b: Verdict): boolean {
  return (a.kind === 'build' || a.kind === 'mismatch') && a.kind === b.kind;
}

export async function reduceGraph(graph: Graph, failure: Verdict, check: (g: Graph) => Promise<Verdict>, log: (m: string) => void): Promise<ReduceResult> {
  let checks = 0;
  let best: ReduceResult = { graph, verdict: failure, checks: 0 };
  const fails = async (nodes: readonly Node[]): Promise<boolean> => {
    if (nodes.length === 0) return false;
    let g: Graph;
    try {
      g = keepNodes(graph, nodes);
    } catch {
      return false; // not a valid graph on its own (e.g. a layer whose input cannot be cut)
    }
    checks++;
    const v = await check(g);
    const ok = sameFailure(failure, v);
    log(`check ${checks}: ${nodes.length} layer${nodes.length === 1 ? '' : 's'} (${nodes[0]!.name} .. ${nodes[nodes.length - 1]!.name}): ${ok ? 'fails' : v.kind === 'pass' ? 'passes' : `other result (${v.kind})`}`);
    if (ok && nodes.length < best.graph.nodes.length) best = { graph: g, verdict: v, checks };
    return ok;
  };

  let nodes = [...graph.nodes];
  // 1. Shortest failing prefix: lo fails is unknown, hi fails is known.
  let [lo, hi] = [0, nodes.length];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await fails(nodes.slice(0, mid))) hi = mid;
    else lo = mid;
  }
  if (hi < nodes.length) nodes = nodes.slice(0, hi);
  // 2. Shortest failing suffix of it.
  [lo, hi] = [0, nodes.length - 1];
  let start = 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (await fails(nodes.slice(mid))) [lo, start] = [mid, mid];
    else hi = mid - 1;
  }
  nodes = nodes.slice(start);
  // 3. One at a time, repeated until a full sweep drops nothing.
  for (let changed = true; changed && nodes.length > 1;) {
    changed = false;
    for (let i = nodes.length - 1; i >= 0 && nodes.length > 1; i--) {
      const without = nodes.filter((_, k) => k !== i);
      if (await fails(without)) {
        nodes = without;
        changed = true;
      }
    }
  }
  // Every accepted step was a failing check, so `best` holds the smallest failing subgraph.
  return { ...best, checks };
}
