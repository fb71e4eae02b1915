/**
 * The `yeastar-p` normaliser: CSV call reports (whole files or the poller's chunks) become
 * report_rows; JSON event reports become calls and call events; CDR records (a `cdr/list`
 * answer, or records one by one) become calls.
 */
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { emptyNormalised, type Normalised } from '../core/model.js';
import { normaliseReport } from './csv-report.js';
import { decodeEvent, readEvents } from './event-body.js';
import { normaliseEvent } from './events.js';
import { cdrRecordsOf, isCdrRecord, normaliseCdr } from './cdr.js';

export { typedFields, REPORT_LAYOUTS } from './report-columns.js';

export function normaliseYeastarP(body: Buffer, contentType: string, ctx: NormaliseContext): Normalised {
  if (isReport(body, contentType, ctx.meta)) return normaliseReport(body, ctx);
  const out = emptyNormalised();
  const items = readEvents(body).flatMap((item) => cdrRecordsOf(item) ?? [item]);
  for (const item of items) {
    const one = isCdrRecord(item) ? normaliseCdr(item, ctx) : normaliseEvent(decodeEvent(item), ctx);
    out.calls.push(...one.calls);
    out.events.push(...one.events);
  }
  return out;
}

function isReport(body: Buffer, contentType: string, meta: Record<string, string>): boolean {
  if (meta.report_type) return true;
  if (/csv/i.test(contentType)) return true;
  if (/json/i.test(contentType)) return false;
  // Sniff: events are JSON (object, array, or a JSON string); anything else is a CSV file, whose
  // first cell may well be quoted.
  const text = body
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trim();
  if (/^[[{]/.test(text)) return false;
  if (!text.startsWith('"')) return true;
  try {
    return typeof JSON.parse(text) !== 'string';
  } catch {
    return true;
  }
}
