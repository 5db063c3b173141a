// Control flow. An If whose condition is known at import (it usually tests a shape or
// an attribute, as in ONNX's function expansions) is replaced by the nodes of the
// branch it takes; a condition computed at run time is unsupported, as are loops.
import { Unsupported } from '../import/context.js';
import { defineImporter } from '../import/registry.js';

defineImporter('If', {
  import: (ctx) => {
    const cond = ctx.known(0)?.numbers();
    if (!cond) throw new Unsupported('data-dependent shape', `the condition (input 0 '${ctx.inputName(0)}') is computed at run time`, undefined, undefined, ctx.inputName(0));
    if (cond.length !== 1) ctx.fail(`the condition must hold one value, has ${cond.length}`);
    const label = cond[0] ? 'then_branch' : 'else_branch';
    const branch = ctx.attrs.proto(label)?.g ?? ctx.fail(`attribute '${label}' is required`);
    if (branch.output.length !== ctx.outputCount) ctx.fail(`${label} has ${branch.output.length} outputs, the node ${ctx.outputCount}`);
    ctx.state.importSubgraph(branch, label);
    branch.output.forEach((o, k) => ctx.node.output[k] && ctx.aliasValue(k, o.name));
  },
});
