/**
 * The Call Log (CDR) API: one POST-JSON request per time window. Voicenter reports errors in the
 * body (`ERROR_NUMBER`), with HTTP 200 or 403, so the body is checked whatever the status.
 */
import { DateTime } from 'luxon';
import { CallhouseError } from '../../runtime/errors.js';
import { redactText, registerSecret } from '../../runtime/redact.js';
import { vendorFetch } from '../core/http.js';
import { RateLimiter, withRetry } from '../core/retry.js';
import type { PollContext } from '../core/contract.js';
import type { VoicenterConfig } from './config.js';

export interface CdrPage {
  items: Record<string, unknown>[];
  totalHits: number;
  returnHits: number;
  /** More CDRs exist in the window than one response may carry: the window must be split. */
  overflow: boolean;
}

/** Voicenter's wire form of a window bound: ISO 8601 in GMT 0 without a zone suffix. */
export function wireTime(d: Date): string {
  return DateTime.fromJSDate(d, { zone: 'UTC' }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/** One limiter per connector in this process, so that every read shares the budget. */
export function limiterFor(ctx: PollContext<VoicenterConfig>): RateLimiter {
  const key = 'voicenter.limiter';
  let limiter = ctx.session.get(key) as RateLimiter | undefined;
  if (!limiter) {
    limiter = new RateLimiter(ctx.config.requests_per_minute, ctx.config.min_spacing_ms, () => ctx.now().getTime());
    ctx.session.set(key, limiter);
  }
  return limiter;
}

/** Requested fields: the configured list, plus what identifies and dates a call. */
export function requestFields(config: VoicenterConfig): string[] {
  const fields = [...config.fields];
  for (const needed of ['CallID', 'Date']) {
    if (!fields.some((f) => f.toLowerCase() === needed.toLowerCase())) fields.push(needed);
  }
  return fields;
}

/**
 * Reads the CDRs of [from, to): `todate` is inclusive to the second, so it is `to` less one
 * second and adjacent windows never share a CDR. A rate-limit answer (error 1) is backed off and
 * retried here; if it persists the error stays retriable, so the window is read again later.
 */
export async function fetchCdrs(ctx: PollContext<VoicenterConfig>, from: Date, to: Date): Promise<CdrPage> {
  const { config } = ctx;
  const code = config.code;
  if (!code)
    throw new CallhouseError('CONFIG_INVALID', `connector ${config.id}: \`code\` is required to poll the Call Log`);
  registerSecret(code);
  const search: Record<string, unknown> = {
    fromdate: wireTime(from),
    todate: wireTime(new Date(to.getTime() - 1000)),
  };
  if (config.identity_criteria) search.IdentityCriteria = config.identity_criteria;
  const body = JSON.stringify({
    code,
    format: 'JSON',
    fields: requestFields(config),
    search,
    sort: [{ field: 'date', order: 'asc' }],
  });
  const limiter = limiterFor(ctx);
  return withRetry(
    async () => {
      await limiter.acquire((ms) => ctx.sleep(ms));
      const res = await vendorFetch(config.base_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body,
        signal: ctx.signal,
      });
      return pageOf(res.status, res.text(), config, search);
    },
    {
      retries: 6,
      baseMs: 5_000,
      maxMs: 60_000,
      sleep: (ms) => ctx.sleep(ms),
      onRetry: (e, attempt, delayMs) =>
        ctx.logger.warn({ error_code: e.code, attempt, delayMs }, `voicenter: ${redactText(e.message)}; retrying`),
    },
  );
}

function pageOf(status: number, text: string, config: VoicenterConfig, search: Record<string, unknown>): CdrPage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    // A cut or garbled answer (a proxy, a dropped connection) is worth asking again.
    throw new CallhouseError(
      'VENDOR_UNAVAILABLE',
      `Voicenter Call Log answered HTTP ${status} without JSON (${text.length} bytes)`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new CallhouseError('VENDOR_ERROR', `Voicenter Call Log answered HTTP ${status} with a non-object`);
  }
  const r = parsed as Record<string, unknown>;
  const errorNumber = Number(r.ERROR_NUMBER ?? (status === 200 ? 0 : NaN));
  const description = redactText(String(r.ERROR_DESCRIPTION ?? '').slice(0, 200));
  const window = `${String(search.fromdate)}..${String(search.todate)}`;
  switch (errorNumber) {
    case 0:
      break;
    case 1:
      throw new CallhouseError('VENDOR_RATE_LIMIT', `Voicenter rate limit (error 1: ${description})`, {
        retryAfterSeconds: 10,
      });
    case 2:
      throw new CallhouseError(
        'VENDOR_AUTH',
        `Voicenter refused the code (error 2: ${description}): check \`code\` of connector ${config.id} against the Call Log API code in Voicenter CPanel`,
      );
    case 3:
      return {
        items: [],
        totalHits: Number(r.TOTAL_HITS ?? 0),
        returnHits: 0,
        overflow: true,
      };
    case 4:
      throw new CallhouseError(
        'VENDOR_FORBIDDEN',
        `Voicenter does not trust this server's address (error 4: ${description}): whitelist the server's public IP in Voicenter CPanel (API settings)`,
      );
    case 5:
      throw new CallhouseError(
        'VENDOR_ERROR',
        `Voicenter rejected the date range ${window} UTC (error 5: ${description})`,
      );
    default:
      throw new CallhouseError(
        'VENDOR_ERROR',
        `Voicenter Call Log error ${Number.isNaN(errorNumber) ? `HTTP ${status}` : errorNumber}: ${description || 'no description'}`,
      );
  }
  const list = r.CDR_LIST ?? [];
  if (!Array.isArray(list) || list.some((i) => typeof i !== 'object' || i === null || Array.isArray(i))) {
    throw new CallhouseError('VENDOR_ERROR', 'Voicenter Call Log answered without a CDR_LIST array of objects');
  }
  const items = list as Record<string, unknown>[];
  const returnHits = Number(r.RETURN_HITS ?? items.length);
  const totalHits = Number(r.TOTAL_HITS ?? items.length);
  const overflow = totalHits > returnHits || items.length >= config.max_records_per_request;
  return { items, totalHits, returnHits, overflow };
}
