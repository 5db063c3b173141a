// The `kiln` command, trtexec and Polygraphy for kiln: build, run, bench, inspect,
// compare and draw models and plans. Each subcommand lives in its own cmd-*.ts and
// declares its flags once (args.ts); this file only dispatches and turns errors into
// one-line messages and exit codes (0 ok, 1 failure or mismatch, 2 usage error).
import { Flags, formatHelp, parseArgs, suggest, type Command } from './args.js';
import { benchCommand } from './cmd-bench.js';
import { buildCommand } from './cmd-build.js';
import { compareCommand } from './cmd-compare.js';
import { drawCommand } from './cmd-draw.js';
import { inspectCommand } from './cmd-inspect.js';
import { runCommand } from './cmd-run.js';
import { debugCommand } from './cmd-debug.js';
import { surgeonCommand } from './cmd-surgeon.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, oneLine } from './errors.js';
import { KILN_VERSION } from '../version.js';

const COMMANDS: Command[] = [buildCommand, runCommand, benchCommand, inspectCommand, compareCommand, drawCommand, debugCommand, surgeonCommand];

const USAGE = `usage: kiln <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.spec.name.padEnd(9)} ${c.spec.summary}`).join('\n')}
  version   print kiln's version

Run 'kiln <command> --help' for its options and an example.
example: kiln build model.ts --save-plan model.plan && kiln bench model.plan

exit codes: 0 ok, 1 failure or mismatch, 2 usage error (including features not supported yet)
environment: NO_COLOR disables colour (colour is only used when stdout is a terminal)`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.spec.name === rest[0]) : undefined;
    console.log(topic ? formatHelp(topic.spec) : USAGE);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === 'version' || name === '--version') {
    console.log(KILN_VERSION);
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    const hint = suggest(name, [...COMMANDS.map((c) => c.spec.name), 'version']);
    throw new UsageError(`unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; run kiln --help for the list`);
  }
  const parsed = parseArgs(command.spec, rest);
  if (parsed.help) {
    console.log(formatHelp(command.spec));
    return EXIT_OK;
  }
  return command.run(new Flags(parsed), parsed.positionals);
}

const argv = process.argv.slice(2);
const where = argv[0] && !argv[0].startsWith('-') ? `kiln ${argv[0]}` : 'kiln';
main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const usage = e instanceof UsageError;
    console.error(`${where}: ${usage ? '' : 'error: '}${oneLine(e)}`);
    if (process.env.KILN_CLI_STACK && e instanceof Error) console.error(e.stack);
    process.exitCode = usage ? EXIT_USAGE : EXIT_FAILURE;
  },
);
