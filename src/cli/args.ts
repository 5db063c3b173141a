// A small argument parser for the kiln command: each subcommand declares its flags
// once (name, kind, metavar, help), and the same declaration drives parsing, the
// --help page and "did you mean" hints. Flags are GNU style: `--flag value`,
// `--flag=value`, booleans without a value, repeatable flags collect a list, `--`
// ends the flags.
import { UsageError } from './errors.js';

export type FlagKind = 'boolean' | 'string' | 'list';

export interface FlagSpec {
  name: string;
  kind: FlagKind;
  /** Shown in help after the flag, e.g. FILE or N. */
  metavar?: string;
  /** A one-letter alias, e.g. 'o' for -o. */
  short?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  /** Positional arguments as shown in the usage line, e.g. ['MODEL|PLAN']. */
  positionals: string[];
  /** How many positionals are optional at the end. */
  optionalPositionals?: number;
  summary: string;
  description?: string;
  flags: FlagSpec[];
  examples: string[];
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | boolean | string[]>;
  help: boolean;
}

const HELP_FLAG: FlagSpec = { name: 'help', kind: 'boolean', help: 'show this help and exit' };

/** Levenshtein distance, for suggesting the flag a typo meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** trtexec's names whose kiln names are not just their kebab-case. */
const TRTEXEC_NAMES: Readonly<Record<string, string>> = {
  saveEngine: 'save-plan', loadInputs: 'input', builderOptimizationLevel: 'opt-level', memPoolSize: 'mem-pool',
  timingCacheFile: 'timing-cache', warmUp: 'warmup', exportProfile: 'export-json', exportTimes: 'export-json',
};

export function suggest(word: string, candidates: readonly string[]): string {
  const known = TRTEXEC_NAMES[word];
  if (known !== undefined && candidates.includes(known)) return known;
  // trtexec users type camelCase (--minShapes); compare in kebab-case too.
  const kebab = word.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = Math.min(distance(word, c), distance(kebab, c));
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : '';
}

export function parseArgs(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  let argv = args;
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  const byName = new Map([...spec.flags, HELP_FLAG].map((f) => [f.name, f]));
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h') {
      help = true;
      continue;
    }
    const alias = /^-[a-zA-Z]$/.test(arg) ? spec.flags.find((f) => f.short === arg[1]) : undefined;
    if (alias) {
      argv = [...argv.slice(0, i), `--${alias.name}`, ...argv.slice(i + 1)];
      i--;
      continue;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'; kiln's options are long (--name); see kiln ${spec.name} --help`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const flag = byName.get(name);
    if (!flag) {
      const hint = suggest(name, [...byName.keys()]);
      throw new UsageError(`unknown option '--${name}' for 'kiln ${spec.name}'${hint ? ` (did you mean '--${hint}'?)` : ''}; see kiln ${spec.name} --help`);
    }
    if (flag.kind === 'boolean') {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value; write '--${name}' alone`);
      if (name === 'help') help = true;
      else flags.set(name, true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`option '--${name}' needs a value (${flag.metavar ?? 'VALUE'}); e.g. --${name} ${flag.metavar ?? 'VALUE'}`);
      }
      value = next;
      i++;
    }
    if (flag.kind === 'list') {
      const list = (flags.get(name) as string[] | undefined) ?? [];
      list.push(value);
      flags.set(name, list);
    } else {
      if (flags.has(name)) throw new UsageError(`option '--${name}' is given twice; give it once`);
      flags.set(name, value);
    }
  }
  if (!help) checkPositionals(spec, positionals);
  return { positionals, flags, help };
}

function checkPositionals(spec: CommandSpec, positionals: string[]): void {
  const max = spec.positionals.length;
  const min = max - (spec.optionalPositionals ?? 0);
  if (positionals.length < min) {
    throw new UsageError(`'kiln ${spec.name}' needs ${spec.positionals.slice(positionals.length, min).join(' ')}; e.g. ${spec.examples[0] ?? `kiln ${spec.name} --help`}`);
  }
  if (positionals.length > max) {
    throw new UsageError(`'kiln ${spec.name}' takes ${max === 0 ? 'no arguments' : spec.positionals.join(' ')}, got an extra '${positionals[max]}'; see kiln ${spec.name} --help`);
  }
}

/** Typed accessors: each error names the flag and shows a valid value. */
export class Flags {
  constructor(private readonly parsed: ParsedArgs) {}

  has(name: string): boolean {
    return this.parsed.flags.has(name);
  }

  bool(name: string): boolean {
    return this.parsed.flags.get(name) === true;
  }

  string(name: string): string | undefined {
    return this.parsed.flags.get(name) as string | undefined;
  }

  list(name: string): string[] {
    return (this.parsed.flags.get(name) as string[] | undefined) ?? [];
  }

  /** An integer in [min, max]; `fallback` when absent. */
  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const s = this.string(name);
    if (s === undefined) return fallback;
    const n = Number(s);
    if (!/^-?\d+$/.test(s.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new UsageError(`--${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`}, got '${s}'`);
    }
    return n;
  }

  /** A finite number >= min; `fallback` when absent. */
  number(name: string, fallback: number, min = 0): number {
    const s = this.string(name);
    if (s === undefined) return fallback;
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}, got '${s}'`);
    return n;
  }
}

export function formatHelp(spec: CommandSpec): string {
  const usage = [`kiln ${spec.name}`, ...spec.positionals.map((p, i) => (i >= spec.positionals.length - (spec.optionalPositionals ?? 0) ? `[${p}]` : p))];
  const rows = [...spec.flags, HELP_FLAG].map((f) => [`${f.short ? `-${f.short}, ` : ''}--${f.name}${f.kind === 'boolean' ? '' : ` ${f.metavar ?? 'VALUE'}`}${f.kind === 'list' ? ' (repeatable)' : ''}`, f.help]);
  const w = Math.max(...rows.map((r) => r[0]!.length));
  return [
    `usage: ${usage.join(' ')} [options]`,
    '',
    spec.summary,
    ...(spec.description ? ['', spec.description] : []),
    '',
    'options:',
    ...rows.map(([a, b]) => `  ${a!.padEnd(w)}  ${b}`),
    '',
    spec.examples.length > 1 ? 'examples:' : 'example:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    'exit codes: 0 ok, 1 failure or mismatch, 2 usage error (including features not supported yet)',
  ].join('\n');
}

/** A subcommand: its declaration and what it does; resolves to the exit code. */
export interface Command {
  spec: CommandSpec;
  run(flags: Flags, positionals: string[]): Promise<number>;
}
