// The CLI's Logger sink. The builder reports its phases as 'build phase: ...' info
// messages; on a terminal they become one status line rewritten in place (and cleared
// when the build ends), elsewhere one plain line per phase when asked for (kiln build),
// so CI logs show where a slow build spent its time. Warnings and errors always go to
// stderr; other messages only with --verbose.
import { Logger, type Severity } from '../builder/logger.js';

const PHASE = 'build phase: ';

export interface CliLogger {
  logger: Logger;
  /** Clears a status line left on the terminal. */
  done(): void;
}

export function cliLogger(options: { verbose: boolean; phases: boolean }): CliLogger {
  const tty = process.stderr.isTTY === true;
  let statusShown = false;
  const sink = (severity: Severity, message: string) => {
    if (message.startsWith(PHASE)) {
      const phase = message.slice(PHASE.length);
      if (tty && !options.verbose) {
        process.stderr.write(`\r\x1b[Kbuilding: ${phase}`);
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
