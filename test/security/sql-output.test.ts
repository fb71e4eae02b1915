/**
 * What `callhouse sql` prints: CSV cells a spreadsheet would run as formulas are neutralised, and
 * a table shows terminal control codes as visible escapes instead of sending them to the terminal.
 * Expected strings are written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { csvCell, formatRows, printable } from '../../runtime/cli/output.js';
import { parseResult } from '../../runtime/sql.js';

describe('--format csv', () => {
  it.each([
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['=1+1', "'=1+1"],
    ['+cmd|/C calc!A0', "'+cmd|/C calc!A0"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\t=1', "'\t=1"],
    ['\r=1', `"'\r=1"`],
    ['+44 20 7946 0000', "'+44 20 7946 0000"],
  ])('neutralises %j', (cell, out) => {
    expect(csvCell(cell)).toBe(out);
  });

  it.each([['-12'], ['+441234567890'], ['-0.5'], ['1e-3'], ['a=b'], ['x@y.z'], ['']])('leaves %j alone', (cell) => {
    expect(csvCell(cell)).toBe(cell);
  });

  it('applies to every cell and header of a result', () => {
    const out = formatRows(
      ['=h', 'n'],
      [
        { '=h': '@x', n: -3 },
        { '=h': 'plain, text', n: 4 },
      ],
      'csv',
    );
    expect(out).toBe(`'=h,n\n'@x,-3\n"plain, text",4`);
  });
});

describe('table output', () => {
  it('shows control characters as escapes', () => {
    expect(printable('a\u001b]0;owned\u0007b')).toBe('a\\u001b]0;owned\\u0007b');
    expect(printable('\u001b[2J\u001b[1;1H')).toBe('\\u001b[2J\\u001b[1;1H');
    expect(printable('line\nnext\ttab\rcr')).toBe('line\\nnext\\ttab\\rcr');
    expect(printable('\u009b31m')).toBe('\\u009b31m');
    expect(printable('abc\u202edcba')).toBe('abc\\u202edcba');
    expect(printable('Zoë 12:00 ☎')).toBe('Zoë 12:00 ☎');
  });

  it('sends no escape character to the terminal, in cells or headers', () => {
    const out = formatRows(
      ['col\u001b[31m'],
      [{ 'col\u001b[31m': '\u001b]8;;http://evil.invalid\u0007click\u001b]8;;\u0007' }],
      'table',
    );
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(out).toContain('\\u001b]8;;http://evil.invalid\\u0007click');
  });
});

describe('reading a large analyst result', () => {
  it('gives the event loop back while it reads, and reads every row', async () => {
    const lines = ['["n","s"]', '["UInt64","String"]'];
    for (let i = 0; i < 10_000; i += 1) lines.push(`[${i},"x${i}"]`);
    let immediate = false;
    setImmediate(() => (immediate = true));
    const r = await parseResult(lines.join('\n') + '\n', 1000);
    expect(immediate).toBe(true);
    expect(r.columns).toEqual(['n', 's']);
    expect(r.rows).toHaveLength(10_000);
    expect(r.rows[9_999]).toEqual({ n: 9_999, s: 'x9999' });
  });
});
