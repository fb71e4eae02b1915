/**
 * The layout of Asterisk's CDR CSV (`cdr_csv`, `Master.csv`): no header, every text field quoted
 * (quotes doubled), numbers bare. The 18 default columns come first; cdr_custom setups append
 * more (`extra_columns`).
 */
export const DEFAULT_COLUMNS = [
  'accountcode',
  'src',
  'dst',
  'dcontext',
  'clid',
  'channel',
  'dstchannel',
  'lastapp',
  'lastdata',
  'start',
  'answer',
  'end',
  'duration',
  'billsec',
  'disposition',
  'amaflags',
  'uniqueid',
  'userfield',
] as const;

/** CDR variables a cdr_custom line may add after the default columns. */
export const EXTRA_COLUMN_NAMES = ['linkedid', 'sequence', 'peeraccount', 'did', 'recordingfile'] as const;

export type CdrRow = Record<string, string>;

export function columnsFor(extra: readonly string[]): string[] {
  return [...DEFAULT_COLUMNS, ...extra];
}
