// The error importOnnx throws when some nodes are unsupported: its message is the
// support report's table, and `report` holds every entry for programs to read.
import { OnnxError } from '../errors.js';
import { formatSupportReport, type SupportReport } from '../report.js';

export class OnnxUnsupportedError extends OnnxError {
  constructor(readonly report: SupportReport) {
    const n = report.unsupported.length;
    super(`${n} unsupported node${n === 1 ? '' : 's'}; the support report:\n${formatSupportReport(report)}`, { file: report.file });
    this.name = 'OnnxUnsupportedError';
  }
}
