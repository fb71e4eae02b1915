/**
 * Push side: a CDR CSV file POSTed to /ingest/asterisk/{id} (body = the CSV text, e.g.
 * `curl --data-binary @Master.csv`). A posted file is complete, so its last line counts even
 * without a newline. One payload per call, keyed by the call id; bad lines are kept apart and
 * reach dead letters through the normaliser.
 */
import type { IngestSpec } from '../core/contract.js';
import { columnsFor } from '../../transforms/asterisk/columns.js';
import { decodeCsv, payloadsOf, splitLines } from '../../transforms/asterisk/csv.js';
import type { AsteriskConfig } from './config.js';

export const asteriskIngest: IngestSpec<AsteriskConfig> = {
  accept(body, _contentType, config) {
    const { lines, rest } = splitLines(decodeCsv(body));
    if (rest.trim() !== '') lines.push(rest.replace(/\r$/, ''));
    return payloadsOf(lines, columnsFor(config.extra_columns));
  },
  ok: () => ({ status: 200, body: { status: 'ok' } }),
  rejected: (_config, reason) => ({ status: 400, body: { status: 'rejected', reason } }),
};
