// The engine's contract as a property: for random small well-typed networks of the
// DSL's ops (2-30 layers), the built plan's outputs equal the interpreter's. On a
// failure fast-check prints the seed and the shrunk network (printed graph + spec).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { interpret } from '../../src/interpret/index.js';
import { compareOutputs, networkArbitrary } from '../../passes/testing/index.js';
import { buildPlan, runPlan } from './helpers.js';

const runs = Number(process.env.KILN_PROPERTY_RUNS ?? 80);

describe('engine equals interpreter on random networks', () => {
  for (const optLevel of [0, 3]) {
    it(`at optimization level ${optLevel}`, async () => {
      await fc.assert(
        fc.asyncProperty(networkArbitrary({ minLayers: 2, maxLayers: 30 }), async (net) => {
          const expected = interpret(net.graph, net.inputs);
          const actual = await runPlan(buildPlan(net.graph, optLevel), net.inputs);
          const diff = compareOutputs(expected, actual, { rtol: 1e-4, atol: 1e-5 });
          if (diff) throw new Error(`engine differs from the interpreter: ${diff}`);
        }),
        { numRuns: runs },
      );
    });
  }
});
