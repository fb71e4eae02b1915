/**
 * A downloaded call report (a whole CSV file, or one chunk of it as the poller emits them) →
 * report_rows. Title rows and the trailing "Total" row are not rows of the report: the title
 * repeats the report name and period (both are columns of report_rows), the total is the sum of
 * the rows. Cells keep their text exactly; `typedFields` turns known columns into numbers.
 */
import { DateTime } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { ReportRowSchema, emptyNormalised, type Normalised, type ReportRow } from '../core/model.js';
import { CH_FORMAT, DISPLAY_FORMATS, parseTime, type DisplayFormat } from '../core/times.js';
import { typeOfTitle } from '../../connectors/yeastar-p/report-types.js';
import { analyseCsv, fieldsOf, preambleText } from './csv-layout.js';
import { matchHeader } from './header-match.js';

interface ReportContextConfig {
  timezone?: string | undefined;
  display_format?: string | undefined;
}

const CH_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;

export function normaliseReport(body: Buffer, ctx: NormaliseContext): Normalised {
  const layout = analyseCsv(body);
  const title = preambleText(layout);
  const config = ctx.config as ReportContextConfig & typeof ctx.config;
  const reportType = nonBlank(ctx.meta.report_type) ?? title.map(typeOfTitle).find((t) => t !== undefined);
  if (!reportType) {
    throw new CallhouseError('INVALID_VALUE', 'CSV report: no report_type in meta and no known report title');
  }
  const period = periodOf(ctx.meta, title, config);
  const first = firstRowNumber(ctx.meta.first_row_number);
  const header = matchHeader(reportType, layout.columns);
  // Said once per file: the chunk that starts it (every chunk repeats the header).
  if (header.missing.length > 0 && first === 1) reportUnmatched(ctx, reportType, layout.columns, header.missing);

  const out = emptyNormalised();
  layout.data.forEach((index, i) => {
    const row: ReportRow = {
      tenant: ctx.config.tenant,
      connector_id: ctx.config.id,
      report_type: reportType,
      period_start: period.start,
      period_end: period.end,
      row_number: first + i,
      fields: fieldsOf(header.columns, layout.records[index]!.cells),
      ingested_at: ctx.ingested_at,
    };
    const checked = ReportRowSchema.safeParse(row);
    if (!checked.success) {
      throw new CallhouseError('INVALID_VALUE', `report row ${first + i}: ${checked.error.issues[0]?.message}`);
    }
    out.reportRows.push(checked.data);
  });
  return out;
}

/**
 * A header without columns the typed views read would leave them empty, silently: say which
 * headers the file had and which columns were not found, and count it.
 */
function reportUnmatched(ctx: NormaliseContext, reportType: string, headers: string[], missing: string[]): void {
  ctx.warn(
    `yeastar-p: ${reportType} report: columns not found: ${missing.join(', ')} (headers seen: ${headers.join(', ')}); these are NULL in the typed report views, every cell is kept in report_rows.fields`,
    { report_type: reportType, headers, missing },
  );
  ctx.observe?.({ kind: 'report_layout_unmatched', report_type: reportType, headers, missing });
}

function nonBlank(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

function firstRowNumber(v: string | undefined): number {
  if (v === undefined || v === '') return 1;
  if (!/^\d+$/.test(v)) throw new CallhouseError('INVALID_VALUE', `first_row_number: not a row number: ${v}`);
  return Number(v);
}

function periodOf(
  meta: Record<string, string>,
  title: string[],
  config: ReportContextConfig,
): { start: string; end: string } {
  const start = nonBlank(meta.period_start);
  const end = nonBlank(meta.period_end);
  if (start !== undefined || end !== undefined) {
    if (!start || !end || !CH_TIME.test(start) || !CH_TIME.test(end)) {
      throw new CallhouseError('INVALID_VALUE', `CSV report: bad period in meta: ${start} .. ${end}`);
    }
    return { start, end };
  }
  const zone = config.timezone ?? 'UTC';
  const display = (config.display_format ?? 'MM/DD/YYYY') as DisplayFormat;
  for (const line of title) {
    const p = periodFromTitle(line, zone, display);
    if (p) return { start: p.start.toUTC().toFormat(CH_FORMAT), end: p.end.toUTC().toFormat(CH_FORMAT) };
  }
  throw new CallhouseError(
    'INVALID_VALUE',
    'CSV report: no period (meta period_start/period_end missing and no "Time: … - …" title row)',
  );
}

/**
 * Reads the period of a title row as the PBX writes it in its display format: a range
 * "04/01/2022 00:00:00 - 04/01/2022 23:59:59" (end inclusive), or one day, month ("04/2022",
 * "2022/04") or year.
 */
export function periodFromTitle(
  line: string,
  zone: string,
  display: DisplayFormat,
): { start: DateTime; end: DateTime } | undefined {
  const text = line.replace(/^[^:：]*[:：]\s*/, '').trim();
  const range = /^(\d.+?)\s+(?:-|–|~|to)\s+(\d.+)$/.exec(text);
  if (range) {
    try {
      const start = parseTime(range[1], { zone, displayFormat: display });
      const endIncl = parseTime(range[2], { zone, displayFormat: display });
      const end = endIncl.second === 59 ? endIncl.plus({ seconds: 1 }) : endIncl;
      return end > start ? { start, end } : undefined;
    } catch {
      return undefined;
    }
  }
  const day = DateTime.fromFormat(text, DISPLAY_FORMATS[display], { zone });
  if (day.isValid) return { start: day, end: day.plus({ days: 1 }) };
  for (const f of ['MM/yyyy', 'yyyy/MM']) {
    const month = DateTime.fromFormat(text, f, { zone });
    if (month.isValid) return { start: month, end: month.plus({ months: 1 }) };
  }
  if (/^\d{4}$/.test(text)) {
    const year = DateTime.fromObject({ year: Number(text) }, { zone });
    return { start: year, end: year.plus({ years: 1 }) };
  }
  return undefined;
}
