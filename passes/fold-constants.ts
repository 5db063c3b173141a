// FoldConstants: a layer whose inputs are all constants is computed once, at build
// time, by the reference interpreter (the same oracle the tests trust), and replaced
// by the constant it computes. ONNX exports are full of these (a Transpose or
// Reshape of a weight, a shape computation), and each one folded is a kernel the
// engine never launches.
//
// A size cap keeps folding from bloating the plan: a layer is folded only when its
// result has at most `maxElements` elements or no more elements than its constant
// inputs together (a weight transposed or reshaped costs nothing; a scalar broadcast
// to a huge tensor would). Layers that produce a graph output are kept, since an
// engine output must be computed by a layer, and so are layers the interpreter
// cannot compute (an integer division by zero fails at run time, not at build time).
import { volume, type ConstantTensor, type Graph, type Node } from '../src/ir/index.js';
import { interpret } from '../src/interpret/index.js';
import { definePass, type Logger, type Pass } from './pass.js';
import { applyAction, indexGraph, type GraphIndex } from './rewrite.js';

export interface FoldConstantsOptions {
  /** Results up to this many elements are always folded (default 65536). */
  maxElements?: number;
}

/** Check: every input a constant, every output static, no graph output, within the cap. */
function foldable(ix: GraphIndex, node: Node, maxElements: number): boolean {
  const g = ix.graph;
  const inputs = node.inputs.filter((i) => i !== '');
  if (inputs.length === 0 || !inputs.every((i) => i in g.constants)) return false;
  if (node.outputs.some((o) => ix.outputs.has(o))) return false;
  const sizes = node.outputs.map((o) => volume(g.types[o]!.shape));
  if (sizes.some((s) => s === undefined)) return false;
  const produced = (sizes as number[]).reduce((a, b) => a + b, 0);
  const consumed = inputs.reduce((a, i) => a + g.constants[i]!.data.length, 0);
  return produced <= Math.max(maxElements, consumed);
}

/** Action: the node's outputs, computed by the interpreter, as constants; undefined when it cannot be computed. */
function evaluate(graph: Graph, node: Node, logger: Logger): Record<string, ConstantTensor> | undefined {
  const inputs = node.inputs.filter((i) => i !== '');
  const sub: Graph = {
    inputs: [],
    outputs: node.outputs,
    nodes: [node],
    types: Object.fromEntries([...inputs, ...node.outputs].map((v) => [v, graph.types[v]!])),
    constants: Object.fromEntries(inputs.map((i) => [i, graph.constants[i]!])),
  };
  try {
    const out = interpret(sub, {});
    return Object.fromEntries(node.outputs.map((o) => [o, { type: graph.types[o]!, data: out[o]!.data }]));
  } catch (e) {
    logger('verbose', `FoldConstants: layer '${node.name}' (${node.op}) is kept: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

export function foldConstants(options: FoldConstantsOptions = {}): Pass {
  const maxElements = options.maxElements ?? 65536;
  return definePass({
    name: 'FoldConstants',
    run: (graph, { logger }) => {
      let current = graph;
      const failed = new Set<string>();
      // Topological order folds a chain of constant layers front to back in one run.
      for (;;) {
        const ix = indexGraph(current);
        const node = current.nodes.find((n) => !failed.has(n.name) && foldable(ix, n, maxElements));
        if (!node) return current;
        const constants = evaluate(current, node, logger);
        if (!constants) {
          failed.add(node.name);
          continue;
        }
        logger('verbose', `FoldConstants: folded layer '${node.name}' (${node.op})`);
        current = applyAction(current, { remove: [node.name], constants });
      }
    },
  });
}

export const FoldConstants = foldConstants();
