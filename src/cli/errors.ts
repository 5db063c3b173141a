// The CLI's two kinds of error and its exit codes. A UsageError is the user's
// command line (unknown flag, bad value, a flag that is not supported yet): exit 2.
// Anything else that stops a command (a missing file, a model that fails to build,
// a comparison that fails) is exit 1. Messages are one line: the cause, then what to do.
import { KilnError } from '../ir/index.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  override name = 'UsageError';
}

/** A flag or command that is parsed and understood, but whose feature kiln lacks. */
export function notSupported(what: string, needs: string, instead: string): UsageError {
  return new UsageError(`${what} is not supported yet (needs ${needs}); ${instead}`);
}

/** One line for any error: KilnErrors keep their message, others their first line. */
export function oneLine(e: unknown): string {
  if (e instanceof KilnError || e instanceof UsageError) return flatten(e.message);
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && 'path' in e) return `no such file: ${String((e as NodeJS.ErrnoException).path)}; check the path`;
    if (code === 'EISDIR' && 'path' in e) return `${String((e as NodeJS.ErrnoException).path)} is a directory, not a file`;
    return flatten(e.message);
  }
  return flatten(String(e));
}

function flatten(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.length <= 1 ? (lines[0] ?? 'unknown error') : `${lines[0]} (${lines.slice(1).join('; ')})`;
}
