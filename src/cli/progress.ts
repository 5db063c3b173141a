// The CLI's Logger sink. The builder reports its phases as 'build phase: ...' info
// messages; on a terminal they become one status line rewritten in place (and cleared
// when the build ends): the phase, the time so far, and while autotuning a bar with
// layer k of n and the time left at the rate so far. Elsewhere one plain line per
// phase when asked for (kiln build),
// so CI logs show where a slow build spent its time. Warnings and errors always go to
// stderr; other messages only with --verbose.
import { Logger, type Severity } from '../builder/logger.js';

const PHASE = 'build phase: ';

export interface CliLogger {
  logger: Logger;
  /** Clears a status line left on the terminal. */
  done(): void;
}

/** Where a build is: its start, and when autotuning began (for the rate of layers). */
export interface ProgressClock {
  start: number;
  tuningStart?: number;
}

const TUNING = /^autotuning layer (\d+) of (\d+)/;

/** The status line for a phase at time `now` (ms): `[######------] layer 3 of 8 ... 1.2 s left`. */
export function progressLine(phase: string, clock: ProgressClock, now: number): string {
  const elapsed = `${((now - clock.start) / 1000).toFixed(1)} s`;
  const m = TUNING.exec(phase);
  if (!m) {
    clock.tuningStart = undefined;
    return `building: ${phase} (${elapsed})`;
  }
  const [k, n] = [Number(m[1]), Number(m[2])];
  if (k === 1 || clock.tuningStart === undefined) clock.tuningStart = now;
  const done = k - 1;
  const width = 20;
  const filled = Math.round((done / n) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const left = done > 0 ? `, ${(((now - clock.tuningStart) / done) * (n - done) / 1000).toFixed(1)} s left` : '';
  return `${bar} ${phase} (${elapsed}${left})`;
}

export function cliLogger(options: { verbose: boolean; phases: boolean }): CliLogger {
  const tty = process.stderr.isTTY === true;
  let statusShown = false;
  const clock: ProgressClock = { start: performance.now() };
  const sink = (severity: Severity, message: string) => {
    if (message.startsWith(PHASE)) {
      const phase = message.slice(PHASE.length);
      if (tty && !options.verbose) {
        process.stderr.write(`\r\x1b[K${progressLine(phase, clock, performance.now()).slice(0, (process.stderr.columns || 100) - 1)}`);
        statusShown = true;
      } else if (options.phases || options.verbose) {
        process.stderr.write(`kiln: building: ${phase}\n`);
      }
      return;
    }
    if (statusShown) {
      process.stderr.write('\r\x1b[K');
      statusShown = false;
    }
    if (severity === 'error' || severity === 'internalError' || severity === 'warning') process.stderr.write(`kiln: ${severity}: ${message}\n`);
    else if (options.verbose) process.stderr.write(`[kiln ${severity}] ${message}\n`);
  };
  return {
    logger: new Logger(options.verbose ? 'verbose' : 'info', sink),
    done: () => {
      if (statusShown) process.stderr.write('\r\x1b[K');
      statusShown = false;
    },
  };
}
