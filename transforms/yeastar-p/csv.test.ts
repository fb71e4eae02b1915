import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CallhouseError } from '../../runtime/errors.js';
import { config, normaliseContext } from '../../connectors/yeastar-p/testing.js';
import { splitReport } from '../../connectors/yeastar-p/chunks.js';
import { normaliseYeastarP, typedFields } from './index.js';
import { analyseCsv } from './csv-layout.js';

const cfg = config();
const META = {
  report_type: 'extcallstatistics',
  period_start: '2024-03-09 23:00:00.000',
  period_end: '2024-03-10 23:00:00.000',
};

/** Reordered columns, BOM, two title rows and a blank line, quoted commas and quotes, three
 * scripts, HH:MM:SS and plain-second durations mixed, an empty cell, and a Total row. */
const FILE = Buffer.from(
  '\uFEFFExtension Call Statistics\r\n' +
    'Time: 03/10/2024 00:00:00 - 03/10/2024 23:59:59\r\n' +
    '\r\n' +
    'Extension Name,Extension Number,Answered Calls,Total Talking Time,Total Holding Time\r\n' +
    '"Smith, John",1004,5,00:03:07,0:00:09\r\n' +
    '王伟,1002,11,01:02:03,75\r\n' +
    '"דנה ""Dana"" לוי",1003,0,00:00:00,\r\n' +
    'Total,,16,01:05:10,00:01:24\r\n',
);

const EXPECTED_FIELDS = [
  {
    'Extension Name': 'Smith, John',
    'Extension Number': '1004',
    'Answered Calls': '5',
    'Total Talking Time': '00:03:07',
    'Total Holding Time': '0:00:09',
  },
  {
    'Extension Name': '王伟',
    'Extension Number': '1002',
    'Answered Calls': '11',
    'Total Talking Time': '01:02:03',
    'Total Holding Time': '75',
  },
  {
    'Extension Name': 'דנה "Dana" לוי',
    'Extension Number': '1003',
    'Answered Calls': '0',
    'Total Talking Time': '00:00:00',
    'Total Holding Time': '',
  },
];

function rows(body: Buffer, meta: Record<string, string> = META, c = cfg) {
  return normaliseYeastarP(body, 'text/csv', normaliseContext(c, meta)).reportRows;
}

describe('yeastar-p CSV reports', () => {
  test('title rows, blank line, BOM and the Total row are not data; cells stay exact text', () => {
    expect(rows(FILE)).toEqual(
      EXPECTED_FIELDS.map((fields, i) => ({
        tenant: 'pbx-p',
        connector_id: 'pbx-p',
        report_type: 'extcallstatistics',
        period_start: '2024-03-09 23:00:00.000',
        period_end: '2024-03-10 23:00:00.000',
        row_number: i + 1,
        fields,
        ingested_at: '2024-03-11 09:00:01.000',
      })),
    );
  });

  test('row numbers continue from first_row_number (a later chunk)', () => {
    expect(rows(FILE, { ...META, first_row_number: '501' }).map((r) => r.row_number)).toEqual([501, 502, 503]);
  });

  test('without meta, the report type and period come from the title rows', () => {
    const r = rows(FILE, {});
    expect(r.map((x) => [x.report_type, x.period_start, x.period_end])).toEqual(
      Array(3).fill(['extcallstatistics', '2024-03-09 23:00:00.000', '2024-03-10 23:00:00.000']),
    );
    const dmy12 = Buffer.from(
      FILE.toString('utf8').replace(
        '03/10/2024 00:00:00 - 03/10/2024 23:59:59',
        '10/03/2024 12:00:00 AM - 10/03/2024 11:59:59 PM',
      ),
    );
    expect(rows(dmy12, {}, config({ display_format: 'DD/MM/YYYY', clock: '12' }))[0]!.period_start).toBe(
      '2024-03-09 23:00:00.000',
    );
    const month = Buffer.from('PBX Call Activity\r\nTime: 2024/03\r\nTime,Total Calls,Inbound Calls\r\n03/01,4,1\r\n');
    expect(rows(month, {}, config({ display_format: 'YYYY/MM/DD' }))[0]).toMatchObject({
      report_type: 'trunkactivity',
      period_start: '2024-02-29 23:00:00.000',
      period_end: '2024-03-31 22:00:00.000',
      fields: { Time: '03/01', 'Total Calls': '4', 'Inbound Calls': '1' },
    });
  });

  test('same data in another column order gives the same fields', () => {
    const swapped = Buffer.from(
      'Total Holding Time,Extension Number,Total Talking Time,Answered Calls,Extension Name\n' +
        '0:00:09,1004,00:03:07,5,"Smith, John"\n75,1002,01:02:03,11,王伟\n,1003,00:00:00,0,"דנה ""Dana"" לוי"\n',
    );
    expect(rows(swapped).map((r) => r.fields)).toEqual(EXPECTED_FIELDS);
  });

  test('typed values: durations in seconds or HH:MM:SS, counts, empty is null, never zero', () => {
    const [a, b, c] = rows(FILE).map((r) => typedFields(r.fields));
    expect(a).toEqual({
      extension_name: 'Smith, John',
      extension_number: '1004',
      answered_calls: 5,
      total_talking_time: 187,
      total_holding_time: 9,
    });
    expect(b).toMatchObject({ total_talking_time: 3723, total_holding_time: 75 });
    expect(c).toMatchObject({ answered_calls: 0, total_talking_time: 0, total_holding_time: null });
    expect(() => typedFields({ 'Total Talking Time': '3 min' })).toThrow(/Total Talking Time: not a duration: "3 min"/);
    expect(() => typedFields({ 'Answered Calls': '-1' })).toThrow(/Answered Calls: not a count/);
    expect(typedFields({ 'Service Level': '87.50%', Cost: '12.30', Unknown: ' x ' })).toEqual({
      service_level: 87.5,
      cost: 12.3,
      unknown: ' x ',
    });
  });

  test('duplicate and blank header names are kept apart', () => {
    const f = Buffer.from('Name,Calls,Calls,\r\nA,1,2,3\r\n');
    // Matched to the extension report's columns: the first "Calls" is its Total Calls, the second
    // keeps its own (unique) name.
    expect(rows(f)[0]!.fields).toEqual({
      'Extension Name': 'A',
      'Total Calls': '1',
      'Calls (2)': '2',
      'Column 4': '3',
    });
  });

  test('a file with no header row, or no period anywhere, is a dead letter with a reason', () => {
    expect(() => rows(Buffer.from('1,2,3\r\n4,5,6\r\n'))).toThrow(/no header row/);
    expect(() => rows(Buffer.from('Name,Calls\r\nA,1\r\n'), {})).toThrow(/no report_type in meta/);
    expect(() => rows(Buffer.from('Queue Performance\r\nName,Calls\r\nA,1\r\n'), {})).toThrow(/no period/);
    expect(() => rows(FILE, { ...META, period_end: '2024-03-10' })).toThrow(CallhouseError);
  });

  test('a header with no rows (an empty report) gives no rows', () => {
    expect(
      rows(Buffer.from('\uFEFFQueue Performance\r\nTime: x\r\n\r\nQueue Number,Queue Name,Total Calls\r\n')),
    ).toEqual([]);
  });
});

// ---- property tests ------------------------------------------------------------------------

function csvLine(cells: string[]): string {
  return cells.map((c) => (/[",\r\n]/.test(c) || c !== c.trim() ? `"${c.replace(/"/g, '""')}"` : c)).join(',') + '\r\n';
}

const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,12}[A-Za-z]$/);
const anyCell = fc.string({
  unit: fc.constantFrom('a', 'Z', '7', ',', '"', ' ', '\n', '王', 'ש', ':', '-', 'é'),
  maxLength: 12,
});

const table = fc
  .uniqueArray(headerName, { minLength: 2, maxLength: 6, selector: (h) => h.trim().toLowerCase() })
  .chain((header) =>
    fc.record({
      header: fc.constant(header),
      rows: fc.array(
        fc.tuple(fc.nat(99999), fc.array(anyCell, { minLength: header.length - 1, maxLength: header.length - 1 })),
        { maxLength: 40 },
      ),
      title: fc.boolean(),
      bom: fc.boolean(),
    }),
  );

function fileOf(t: { header: string[]; rows: [number, string[]][]; title: boolean; bom: boolean }): {
  body: Buffer;
  expected: Record<string, string>[];
} {
  const data = t.rows.map(([n, cells]) => [`r${n}`, ...cells]);
  let text =
    (t.bom ? '\uFEFF' : '') +
    (t.title ? csvLine(['Queue Performance']) + csvLine(['Time: 01/01/2024 00:00:00 - 01/01/2024 23:59:59']) : '');
  text += csvLine(t.header) + data.map(csvLine).join('');
  const expected = data.map((cells) => Object.fromEntries(t.header.map((h, i) => [h, cells[i]!])));
  return { body: Buffer.from(text), expected };
}

// A report type with no known columns (qosreport, VENDORS.md §3): random headers that happen to
// spell a known column ("Ext", "Total") would be stored under that column's name.
const UNKNOWN_TYPE = { ...META, report_type: 'qosreport' };

describe('yeastar-p CSV properties', () => {
  test('any table written as CSV reads back cell for cell', () => {
    fc.assert(
      fc.property(table, (t) => {
        const { body, expected } = fileOf(t);
        expect(rows(body, UNKNOWN_TYPE).map((r) => r.fields)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('chunks of any size normalise to the same rows as the whole file, numbered 1..N', () => {
    fc.assert(
      fc.property(table, fc.integer({ min: 1, max: 25 }), (t, maxRows) => {
        const { body, expected } = fileOf(t);
        const chunks = splitReport(body, UNKNOWN_TYPE, maxRows);
        expect(chunks.length).toBe(Math.ceil(expected.length / maxRows));
        const all = chunks.flatMap((c) => rows(c.body, c.meta));
        expect(all.map((r) => r.fields)).toEqual(expected);
        expect(all.map((r) => r.row_number)).toEqual(expected.map((_, i) => i + 1));
        // The chunks hold every byte of the file apart from repeated headers.
        const header = analyseCsv(body);
        expect(header.data.length).toBe(expected.length);
      }),
      { numRuns: 300 },
    );
  });

  test('random bytes either parse or fail with a CallhouseError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withMeta) => {
        try {
          rows(Buffer.from(bytes), withMeta ? META : {});
        } catch (e) {
          expect(e).toBeInstanceOf(CallhouseError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
