/** Printing results for people (tables) and programs (CSV, JSON). */
import Table from 'cli-table3';

export function formatRows(
  columns: string[],
  rows: Record<string, unknown>[],
  format: 'table' | 'csv' | 'json',
): string {
  if (format === 'json') return rows.map((r) => JSON.stringify(r)).join('\n');
  if (format === 'csv') {
    const cell = (v: unknown): string => csvCell(v === null || v === undefined ? '' : text(v));
    return [columns.map(cell).join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n');
  }
  const table = new Table({ head: columns.map(printable), style: { head: [], border: [] } });
  for (const r of rows) table.push(columns.map((c) => printable(display(r[c]))));
  return table.toString();
}

/**
 * One CSV cell. A spreadsheet reads a cell starting with = + - @ (or a tab or carriage return
 * before one) as a formula: such a cell gets a leading apostrophe, which spreadsheets show as text.
 * Numbers stay as they are (a negative number is not a formula).
 */
export function csvCell(s: string): string {
  const guarded = /^[=+\-@\t\r]/.test(s) && !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/**
 * What a terminal may be shown: control characters (escape sequences that move the cursor,
 * retitle the window, hide text) are written as visible escapes; line breaks and tabs as \n, \t.
 */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function text(v: unknown): string {
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function display(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number')
    return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '').replace(/\.$/, '');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
