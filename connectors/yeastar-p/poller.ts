/**
 * Downloads the configured call reports, one period at a time. The cursor holds, per report type,
 * the end of the last period whose rows are durable in Kafka; a period is read once it has ended
 * (and, with a per-report schedule, once that schedule has fired after its end).
 */
import { DateTime } from 'luxon';
import type { Cursor, PollBatch, PollContext, PollWindow } from '../core/contract.js';
import { withRetry } from '../core/retry.js';
import { CallhouseError, asCallhouseError } from '../../runtime/errors.js';
import { toChUtc } from '../../transforms/core/times.js';
import type { ReportConfig, YeastarPConfig } from './config.js';
import { OpenApiClient } from './client.js';
import { DATA_NOT_FOUND, OK, PARTIAL_SUCCESS, PROCESSING, errcodeError } from './errcodes.js';
import { reportNotifier } from './notifier.js';
import { duePeriods, lastFire, periodParams, windowPeriods, type Period } from './periods.js';
import { REPORT_PARAMS } from './report-types.js';
import { splitReport } from './chunks.js';

/** Errors that concern the whole connector, not one report: stop at once. */
const STOP_CODES = new Set(['VENDOR_AUTH', 'VENDOR_FORBIDDEN', 'UNTRUSTED_URL']);

export async function* readReports(
  ctx: PollContext<YeastarPConfig>,
  cursor: Cursor | null,
  window?: PollWindow,
): AsyncIterable<PollBatch> {
  const cfg = ctx.config;
  const zone = cfg.timezone;
  const now = DateTime.fromJSDate(ctx.now(), { zone });
  const state: Cursor = { ...(cursor ?? {}) };
  const plan = cfg.reports.map((report) => ({ report, periods: periodsOf(report, state, now, zone, window) }));
  const total = plan.reduce((n, p) => n + p.periods.length, 0);
  const client = new OpenApiClient(ctx);
  const failures: CallhouseError[] = [];
  let done = 0;

  for (const { report, periods } of plan) {
    for (const period of periods) {
      let file: Buffer | null;
      try {
        file = await withRetry(() => fetchReport(client, report, period, ctx), {
          retries: 4,
          baseMs: 5_000,
          maxMs: 120_000,
          sleep: (ms) => ctx.sleep(ms),
          onRetry: (e, attempt, delay) =>
            ctx.logger.warn(
              { connector: cfg.id, report: report.type, attempt, delay, err: e.message },
              'retrying report',
            ),
        });
      } catch (e) {
        const err = asCallhouseError(e, 'VENDOR_ERROR');
        if (STOP_CODES.has(err.code) || ctx.signal.aborted) throw err;
        // Later periods of this report wait for this one (the cursor is per report); the other
        // reports go on.
        failures.push(err);
        break;
      }
      const meta = {
        report_type: report.type,
        period_start: toChUtc(period.start),
        period_end: toChUtc(period.end),
      };
      const payloads = file ? splitReport(file, meta, cfg.max_rows_per_payload) : [];
      if (!window) state[report.type] = period.end.toUTC().toISO();
      done++;
      yield {
        payloads,
        ...(window ? {} : { cursor: { ...state } }),
        progress: { done, total, label: `${report.type} ${period.start.toFormat('yyyy-MM-dd HH:mm')}` },
      };
    }
  }
  if (failures.length > 0) {
    const first = failures[0]!;
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more report(s) failed)` : '';
    throw new CallhouseError(first.code, `${first.message}${more}`, {
      retriable: first.retriable,
      ...(first.retryAfterSeconds !== undefined ? { retryAfterSeconds: first.retryAfterSeconds } : {}),
      details: first.details,
      cause: first,
    });
  }
}

function periodsOf(
  report: ReportConfig,
  state: Cursor,
  now: DateTime,
  zone: string,
  window: PollWindow | undefined,
): Period[] {
  if (window) {
    const from = DateTime.fromJSDate(window.from, { zone });
    const to = DateTime.fromJSDate(window.to, { zone });
    return windowPeriods(report.granularity, zone, from, to, now);
  }
  const limit = report.schedule ? lastFire(report.schedule, now, zone) : now;
  if (!limit) return [];
  const saved = state[report.type];
  const cursorEnd = typeof saved === 'string' ? DateTime.fromISO(saved, { zone }) : undefined;
  return duePeriods(report.granularity, zone, cursorEnd?.isValid ? cursorEnd : undefined, limit);
}

/** The report's file for one period, or null when the PBX has no data for it. */
async function fetchReport(
  client: OpenApiClient,
  report: ReportConfig,
  period: Period,
  ctx: PollContext<YeastarPConfig>,
): Promise<Buffer | null> {
  const cfg = ctx.config;
  const params: Record<string, string> = { type: report.type };
  for (const p of REPORT_PARAMS) if (report[p] !== undefined) params[p] = String(report[p]);
  Object.assign(params, periodParams(report, period, cfg));
  if (cfg.async) params.is_async = '1';

  const since = reportNotifier.stamp();
  const answer = await client.get('call_report/download', params);
  let url: unknown = answer.download_resource_url;
  if (answer.errcode === DATA_NOT_FOUND) return null;
  if (answer.errcode === PROCESSING) {
    const file = typeof answer.file === 'string' ? answer.file : undefined;
    const notice = await reportNotifier.wait(cfg.id, { file, since }, cfg.async_timeout_seconds * 1000, (ms) =>
      ctx.sleep(ms),
    );
    if (!/^success$/i.test(notice.result)) {
      throw new CallhouseError(
        'VENDOR_ERROR',
        `${report.type}: the PBX could not prepare the report: ${notice.error || notice.result}`,
      );
    }
    url = notice.download_resource_url;
  } else if (answer.errcode !== OK && answer.errcode !== PARTIAL_SUCCESS) {
    throw errcodeError(answer, `call_report/download ${report.type}`);
  }
  if (typeof url !== 'string' || url === '') {
    throw new CallhouseError('VENDOR_UNAVAILABLE', `${report.type}: the PBX named no download_resource_url`, {
      retriable: true,
    });
  }
  // The link lives 30 minutes: it is used at once, and a vanished one (404) asks again.
  return client.download(url);
}
