/**
 * Splits a downloaded report into Kafka-sized payloads. Each payload is the file's own bytes: the
 * header line and up to N data rows (the first payload also carries the title rows, the last the
 * summary rows), so the payloads together hold the whole file and each one parses alone. Row
 * numbers come from the position in the file, so re-reading a period yields identical payloads.
 */
import type { RawPayload } from '../core/contract.js';
import { analyseCsv } from '../../transforms/yeastar-p/csv-layout.js';

export interface ChunkMeta {
  report_type: string;
  period_start: string;
  period_end: string;
  [k: string]: string;
}

export function splitReport(file: Buffer, meta: ChunkMeta, maxRows: number): RawPayload[] {
  const layout = analyseCsv(file);
  if (layout.data.length === 0) return [];
  const header = layout.records[layout.header]!;
  const headerBytes = file.subarray(header.start, header.end);
  const headerEndsLine = /[\r\n]$/.test(headerBytes.toString('utf8'));
  const out: RawPayload[] = [];
  for (let first = 0; first < layout.data.length; first += maxRows) {
    const rows = layout.data.slice(first, first + maxRows);
    const isFirst = first === 0;
    const isLast = first + maxRows >= layout.data.length;
    const from = layout.records[rows[0]!]!.start;
    const to = isLast ? file.length : layout.records[rows[rows.length - 1]!]!.end;
    const parts = [
      isFirst ? file.subarray(0, header.end) : headerBytes,
      headerEndsLine ? Buffer.alloc(0) : Buffer.from('\r\n'),
      file.subarray(from, to),
    ];
    out.push({
      key: `${meta.report_type}:${meta.period_start}`,
      body: Buffer.concat(parts),
      content_type: 'text/csv; charset=utf-8',
      meta: { ...meta, first_row_number: String(first + 1), rows: String(rows.length) },
    });
  }
  return out;
}
