// EliminateDeadLayers: removes layers none of whose outputs reach a network output,
// and constants no remaining layer reads. Network inputs are the interface a user
// binds to, so an unused one is reported as a warning and kept.
import { edit, type Graph } from '../src/ir/index.js';
import { definePass } from './pass.js';

interface DeadSet {
  layers: Set<string>;
  values: Set<string>;
  unusedInputs: string[];
}

/** 1. Walk the topologically ordered layers backwards, marking what the outputs need. */
function findDead(graph: Graph): DeadSet {
  const live = new Set(graph.outputs);
  const layers = new Set<string>();
  const values = new Set<string>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    // A multi-output layer stays whole while any of its outputs is needed.
    if (node.outputs.some((o) => live.has(o))) {
      for (const v of node.inputs) if (v !== '') live.add(v);
    } else {
      layers.add(node.name);
      for (const o of node.outputs) values.add(o);
    }
  }
  for (const c of Object.keys(graph.constants)) if (!live.has(c)) values.add(c);
  return { layers, values, unusedInputs: graph.inputs.filter((i) => !live.has(i)) };
}

export const EliminateDeadLayers = definePass({
  name: 'EliminateDeadLayers',
  run: (graph, { logger }) => {
    const dead = findDead(graph);
    for (const i of dead.unusedInputs) logger('warning', `EliminateDeadLayers: network input '${i}' reaches no output; it is kept because it is part of the network's interface`);
    if (dead.layers.size === 0 && dead.values.size === 0) return graph;
    // 2. Remove the dead layers, their output values and the unread constants in one edit.
    return edit(graph, (g) => {
      g.nodes = g.nodes.filter((n) => !dead.layers.has(n.name));
      for (const v of dead.values) {
        delete g.types[v];
        delete g.constants[v];
      }
    });
  },
});
