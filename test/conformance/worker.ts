// A conformance worker process: runs the cases its parent sends, one at a time, and
// answers with each result. A case that crashes the process or hangs is the parent's
// to time out; this process just runs.
import { runCase, type CaseRef } from './harness.js';

const knownOps = JSON.parse(process.env.KILN_CONFORMANCE_OPS ?? '[]') as string[];

process.on('message', (ref: CaseRef) => {
  void runCase(ref, knownOps).then((result) => process.send!(result));
});
process.send!({ ready: true });
