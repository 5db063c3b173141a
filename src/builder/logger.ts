// The Logger (TensorRT's ILogger): every message kiln emits goes through one, with a
// severity; messages below the logger's threshold are dropped.
export const SEVERITIES = ['internalError', 'error', 'warning', 'info', 'verbose'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type LogSink = (severity: Severity, message: string) => void;

export class Logger {
  readonly threshold: Severity;
  private readonly sink: LogSink;

  /** Logs messages at `threshold` or more severe; by default to stderr. */
  constructor(threshold: Severity = 'warning', sink?: LogSink) {
    if (!SEVERITIES.includes(threshold)) throw new Error(`unknown log severity '${String(threshold)}'; use one of ${SEVERITIES.join(', ')}`);
    this.threshold = threshold;
    this.sink = sink ?? ((s, m) => process.stderr.write(`[kiln ${s}] ${m}\n`));
  }

  enabled(severity: Severity): boolean {
    return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(this.threshold);
  }

  log(severity: Severity, message: string): void {
    if (this.enabled(severity)) this.sink(severity, message);
  }

  error(message: string): void { this.log('error', message); }
  warning(message: string): void { this.log('warning', message); }
  info(message: string): void { this.log('info', message); }
  verbose(message: string): void { this.log('verbose', message); }
}
