/**
 * Reading CDR CSV text: bytes → lines → fields → rows, and rows → one payload per call (the
 * linkedid group, else the uniqueid). Shared by the push side, the poller and the normaliser, so
 * that a file read from disk and the same file POSTed become the same payloads.
 */
import { parse } from 'csv-parse/sync';
import { CallhouseError } from '../../runtime/errors.js';
import type { RawPayload } from '../../connectors/core/contract.js';
import type { CdrRow } from './columns.js';

export const CONTENT_TYPE = 'text/csv';

/** UTF-8 (BOM dropped), else Latin-1 (old PBXs write caller names that way); NUL means not text. */
export function decodeCsv(body: Buffer): string {
  if (body.includes(0)) throw new CallhouseError('PARSE_ERROR', 'body is not CSV text (it contains NUL bytes)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    text = body.toString('latin1');
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Complete lines of `text` (a last line without newline is returned as `rest`), blank ones dropped. */
export function splitLines(text: string): { lines: string[]; rest: string } {
  const parts = text.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== ''), rest };
}

/** The fields of one CSV line; PARSE_ERROR when it is not one well-formed record. */
export function parseLine(line: string): string[] {
  let records: string[][];
  try {
    records = parse(line, { relax_column_count: true, skip_empty_lines: true }) as string[][];
  } catch (e) {
    throw new CallhouseError(
      'PARSE_ERROR',
      `not a CSV line: ${(e as Error).message.split('\n')[0]}: ${JSON.stringify(line.slice(0, 80))}`,
    );
  }
  if (records.length !== 1)
    throw new CallhouseError(
      'PARSE_ERROR',
      `expected one CSV record in a line, got ${records.length}: ${JSON.stringify(line.slice(0, 80))}`,
    );
  return records[0]!;
}

/** A header line some exports add (`accountcode,src,…`): skipped, never a call. */
export function isHeader(fields: readonly string[]): boolean {
  return fields[0]?.trim().toLowerCase() === 'accountcode' && fields[1]?.trim().toLowerCase() === 'src';
}

export function rowOf(fields: readonly string[], columns: readonly string[]): CdrRow {
  if (fields.length !== columns.length) {
    throw new CallhouseError(
      'INVALID_VALUE',
      `expected ${columns.length} columns (${columns.length > 18 ? 'the 18 default ones and extra_columns' : 'the default layout'}), got ${fields.length}: check \`extra_columns\``,
      { details: { expected: columns.length, got: fields.length } },
    );
  }
  const row: CdrRow = {};
  columns.forEach((c, i) => (row[c] = fields[i]!));
  return row;
}

/** The call a row belongs to: its linkedid where the layout has one, else its uniqueid. */
export function groupOf(row: CdrRow): string {
  return (row.linkedid ?? '').trim() || (row.uniqueid ?? '').trim();
}

/**
 * One payload per call among `lines`, in order of first appearance, each holding the call's lines
 * verbatim and keyed by the call id. A line that cannot be read becomes a payload of its own with
 * an empty key, so that it reaches dead letters without holding back its neighbours.
 */
export function payloadsOf(lines: readonly string[], columns: readonly string[]): RawPayload[] {
  const groups = new Map<string, string[]>();
  const out: { key: string; lines: string[] }[] = [];
  for (const line of lines) {
    let key: string;
    try {
      const fields = parseLine(line);
      if (isHeader(fields)) continue;
      key = fields.length === columns.length ? groupOf(rowOf(fields, columns)) : '';
    } catch {
      key = '';
    }
    const existing = key === '' ? undefined : groups.get(key);
    if (existing) existing.push(line);
    else {
      const g = { key, lines: [line] };
      out.push(g);
      if (key !== '') groups.set(key, g.lines);
    }
  }
  const meta = { columns: columns.join(',') };
  return out.map((g) => ({
    key: g.key,
    body: Buffer.from(`${g.lines.join('\n')}\n`, 'utf8'),
    content_type: CONTENT_TYPE,
    meta,
  }));
}
