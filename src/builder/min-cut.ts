// Binary labelling by minimum cut, for choosing which layers run in a lower precision.
//
// Each item takes label 0 or 1 at a cost (cost0, cost1); a pair term adds `cost`
// when item `a` takes 1 while item `b` takes 0 (a layer computing in int8 whose
// producer stays fp32 pays the QuantizeLinear of its input). Such pair terms are
// submodular, so the labelling of least total cost is a minimum s-t cut: the source
// side takes 1, an edge source -> i of capacity cost0[i] is cut when i takes 0, an
// edge i -> sink of capacity cost1[i] when i takes 1, and an edge a -> b of capacity
// `cost` when a takes 1 and b takes 0. Max-flow by shortest augmenting paths
// (Edmonds-Karp): the networks here have tens of items.
// Ties go to label 0: the source side is what the source still reaches.

export interface PairTerm {
  /** The item whose label 1 ... */
  a: number;
  /** ... meets label 0 of this item ... */
  b: number;
  /** ... at this cost (>= 0). */
  cost: number;
}

/** The labels (0 or 1) of least total cost; costs are finite and >= 0. */
export function minCutLabels(cost0: readonly number[], cost1: readonly number[], pairs: readonly PairTerm[]): (0 | 1)[] {
  const n = cost0.length;
  const source = n, sink = n + 1, size = n + 2;
  const cap: number[][] = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  for (let i = 0; i < n; i++) {
    cap[source]![i]! += cost0[i]!;
    cap[i]![sink]! += cost1[i]!;
  }
  for (const p of pairs) if (p.a !== p.b) cap[p.a]![p.b]! += p.cost;
  // Capacities below this count as spent: float sums of timings leave crumbs.
  const eps = 1e-12 * Math.max(1, ...cost0, ...cost1);
  const reach = (): number[] => {
    const from = new Array<number>(size).fill(-1);
    from[source] = source;
    const queue = [source];
    for (let q = 0; q < queue.length; q++) {
      const u = queue[q]!;
      for (let v = 0; v < size; v++) if (from[v] === -1 && cap[u]![v]! > eps) (from[v] = u), queue.push(v);
    }
    return from;
  };
  for (;;) {
    const from = reach();
    if (from[sink] === -1) return Array.from({ length: n }, (_, i) => (from[i] === -1 ? 0 : 1));
    let flow = Infinity;
    for (let v = sink; v !== source; v = from[v]!) flow = Math.min(flow, cap[from[v]!]![v]!);
    for (let v = sink; v !== source; v = from[v]!) {
      cap[from[v]!]![v]! -= flow;
      cap[v]![from[v]!]! += flow;
    }
  }
}

/** The total cost of `labels` under the same terms (for reports and tests). */
export function labellingCost(cost0: readonly number[], cost1: readonly number[], pairs: readonly PairTerm[], labels: readonly (0 | 1)[]): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += labels[i] ? cost1[i]! : cost0[i]!;
  for (const p of pairs) if (labels[p.a] === 1 && labels[p.b] === 0) sum += p.cost;
  return sum;
}
