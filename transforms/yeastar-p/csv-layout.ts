/**
 * Finds the parts of a P-Series CSV report: title rows above the header, the header, the data
 * rows, and the summary ("Total") rows below them. The vendor documents no layout, so this reads
 * any column order and any number of title rows. The poller splits files with it and the
 * normaliser reads chunks with it, so both see the same rows.
 */
import { parse } from 'csv-parse/sync';
import { CallhouseError } from '../../runtime/errors.js';

export interface CsvRecord {
  cells: string[];
  /** Byte offsets of the record in the file, delimiter included: slices rebuild the file. */
  start: number;
  end: number;
}

export interface CsvLayout {
  records: CsvRecord[];
  /** Index of the header record. */
  header: number;
  /** Indexes of the data records, in file order (blank lines left out). */
  data: number[];
  /** Indexes of summary records (below the data). */
  summary: number[];
  /** The header names, trimmed, made unique (a repeated name gets " (2)"), blanks named "Column N". */
  columns: string[];
}

const SUMMARY_WORDS = /^(total|totals|grand total|summary|合计|總計|总计|合計|סה"כ|סה״כ|סך הכל)\s*:?$/i;

/** A cell that holds a value (count, duration, time, date, amount) rather than a name. */
function looksLikeValue(cell: string): boolean {
  const s = cell.trim();
  return /\d/.test(s) && /^(?:[\d\s:.,/%+\-()~]|[AaPp][Mm])*$/.test(s);
}

function nonEmpty(cells: string[]): string[] {
  return cells.filter((c) => c.trim() !== '');
}

export function isBlank(r: CsvRecord): boolean {
  return nonEmpty(r.cells).length === 0;
}

function isSummary(r: CsvRecord): boolean {
  // The label sits in the first column, or the second when the first is a blank time column.
  const at = r.cells.findIndex((c) => c.trim() !== '');
  return at >= 0 && at <= 1 && SUMMARY_WORDS.test(r.cells[at]!.trim());
}

/** Parses CSV bytes (UTF-8, BOM tolerated) into records with their byte ranges. */
export function readRecords(body: Buffer): CsvRecord[] {
  let rows: { record: string[]; info: { bytes: number } }[];
  try {
    rows = parse(body, {
      bom: true,
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
    }) as unknown as { record: string[]; info: { bytes: number } }[];
  } catch (e) {
    throw new CallhouseError('PARSE_ERROR', `CSV report is not readable: ${(e as Error).message}`);
  }
  let start = 0;
  return rows.map((r) => {
    const rec = { cells: r.record, start, end: r.info.bytes };
    start = r.info.bytes;
    return rec;
  });
}

export function analyseCsv(body: Buffer): CsvLayout {
  const records = readRecords(body);
  const widest = Math.max(0, ...records.map((r) => nonEmpty(r.cells).length));
  // A header names at least two columns, holds no values, and spans most of the report's width;
  // title rows ("Queue Performance", "Time: … - …") are one or two cells wide.
  const minWidth = Math.max(2, Math.ceil(widest * 0.6));
  const header = records.findIndex((r) => {
    const cells = nonEmpty(r.cells);
    return cells.length >= minWidth && !cells.some(looksLikeValue) && !isSummary(r);
  });
  if (header < 0) {
    throw new CallhouseError('PARSE_ERROR', 'CSV report has no header row (a row naming its columns)');
  }
  const after: number[] = [];
  for (let i = header + 1; i < records.length; i++) if (!isBlank(records[i]!)) after.push(i);
  // Summary rows are the trailing run of "Total" rows: a data row in the middle is never one.
  let cut = after.length;
  while (cut > 0 && isSummary(records[after[cut - 1]!]!)) cut--;
  return {
    records,
    header,
    data: after.slice(0, cut),
    summary: after.slice(cut),
    columns: columnNames(records[header]!.cells),
  };
}

export function columnNames(cells: string[]): string[] {
  const seen = new Map<string, number>();
  return cells.map((c, i) => {
    const base = c.trim() === '' ? `Column ${i + 1}` : c.trim();
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

/** header → cell for one data record; cells past the header get "Column N", missing cells ''. */
export function fieldsOf(columns: string[], cells: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  const width = Math.max(columns.length, cells.length);
  for (let i = 0; i < width; i++) {
    const name = columns[i] ?? `Column ${i + 1}`;
    const cell = cells[i] ?? '';
    if (i >= columns.length && cell.trim() === '') continue;
    fields[name] = cell;
  }
  return fields;
}

/** The title rows' text, for reading the report type and period of a file without meta. */
export function preambleText(layout: CsvLayout): string[] {
  return layout.records
    .slice(0, layout.header)
    .map((r) =>
      nonEmpty(r.cells)
        .map((c) => c.trim())
        .join(' '),
    )
    .filter((t) => t !== '');
}
