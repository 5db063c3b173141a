// The `kiln` command. For now: `kiln inspect PLAN` (IO tensors and layers of a plan,
// read by the native plan reader) and `kiln version`; build/run/bench/compare follow.
import { readFileSync } from 'node:fs';
import { Runtime } from '../runtime/runtime.js';
import { formatType } from '../ir/index.js';
import { KILN_VERSION } from '../version.js';

const USAGE = `usage: kiln <command>

commands:
  inspect PLAN   print a plan's IO tensors and layers (example: kiln inspect out/mnist.plan)
  version        print kiln's version

exit codes: 0 ok, 1 failure, 2 usage error`;

function inspect(path: string): void {
  const engine = new Runtime().deserializeEngine(new Uint8Array(readFileSync(path)));
  console.log(`plan ${path} (kiln ${engine.kilnVersion}); arena ${engine.arenaBytes} B, weights ${engine.weightsBytes} B`);
  for (const t of engine.inputs) console.log(`  input  ${t.name}: ${formatType(t)}`);
  for (const t of engine.outputs) console.log(`  output ${t.name}: ${formatType(t)}`);
  engine.layers.forEach((l, i) => console.log(`  [${i}] ${l.name}  (${l.kernel}; fused: ${l.fused.join(', ')})`));
}

function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  if (cmd === 'version') {
    console.log(KILN_VERSION);
    return 0;
  }
  if (cmd === 'inspect' && rest.length === 1) {
    inspect(rest[0]!);
    return 0;
  }
  console.error(cmd === undefined || cmd === '--help' || cmd === 'help' ? USAGE : `kiln: unknown or incomplete command '${argv.join(' ')}'\n\n${USAGE}`);
  return cmd === '--help' || cmd === 'help' ? 0 : 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  console.error(`kiln: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
