/**
 * The IPCortex normaliser. The poller sends two kinds of payload: one merged call per acctid
 * (`{company, company_name, in?, out?}`) and one outsummary company entry (meta.endpoint
 * `outsummary`, meta.company, meta.month). A whole report response (as saved from the PABX) is
 * also read, for `callhouse transform ipcortex FILE`.
 */
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { emptyNormalised, type Normalised } from '../core/model.js';
import { parseJsonBody } from '../core/records.js';
import { billingFromSummary } from './billing.js';
import { callFromMerged, type CallOptions } from './calls.js';
import { DEFAULT_ACCESS_PREFIXES } from '../../connectors/ipcortex/config.js';
import { CallMerger, addAllcalls, addIncalls, addOutcalls, isObject, text, type MergedCall } from './merge.js';

interface IpcortexFields {
  cost_divisor?: number;
  currency?: string;
  access_prefixes?: string[];
}

export function normaliseIpcortex(body: Buffer, _contentType: string, ctx: NormaliseContext): Normalised {
  const data = parseJsonBody(body);
  if (!isObject(data)) throw new CallhouseError('UNSUPPORTED_PAYLOAD', 'expected a JSON object');
  const opts = optionsOf(ctx);
  const out = emptyNormalised();

  if (ctx.meta.endpoint === 'outsummary') {
    out.billing = billingFromSummary(ctx, data, {
      ...opts,
      company: ctx.meta.company ?? '',
      month: ctx.meta.month ?? '',
    });
    return out;
  }
  if ('in' in data || 'out' in data) {
    out.calls = [callFromMerged(ctx, data as unknown as MergedCall, opts)];
    return out;
  }
  if ('result' in data) return fromResponse(ctx, data, opts);
  throw new CallhouseError('UNSUPPORTED_PAYLOAD', 'not an IPCortex call, summary or report response');
}

function fromResponse(ctx: NormaliseContext, data: Record<string, unknown>, opts: CallOptions): Normalised {
  if (data.result !== 'success') {
    const message = text(data.message) || 'no message';
    throw new CallhouseError('UNSUPPORTED_PAYLOAD', `PABX answered ${JSON.stringify(data.result)}: ${message}`);
  }
  const values = isObject(data.values) ? data.values : {};
  const entries = Object.values(values).filter(isObject);
  const out = emptyNormalised();
  const endpoint = ctx.meta.endpoint ?? guessEndpoint(entries);

  if (endpoint === 'outsummary') {
    const month = ctx.meta.month;
    if (!month)
      throw new CallhouseError(
        'UNSUPPORTED_PAYLOAD',
        'outsummary response: the month is not in the payload (meta.month)',
      );
    for (const [company, entry] of Object.entries(values)) {
      out.billing.push(...billingFromSummary(ctx, entry, { ...opts, company, month }));
    }
    return out;
  }
  const merger = new CallMerger();
  const company = ctx.meta.company ?? 'default';
  if (endpoint === 'allcalls') addAllcalls(merger, values);
  else if (endpoint === 'incalls') addIncalls(merger, company, '', values);
  else if (endpoint === 'outcalls') addOutcalls(merger, company, '', values);
  else throw new CallhouseError('UNSUPPORTED_PAYLOAD', `unknown report ${JSON.stringify(endpoint)}`);
  const merged = merger.result();
  const callOpts = { ...opts, costKnown: endpoint !== 'allcalls' };
  for (const m of [...merged.calls.map((c) => c.body), ...merged.orphans]) {
    out.calls.push(callFromMerged(ctx, m, callOpts));
  }
  return out;
}

/** Which report a saved response came from, by its shape. */
function guessEndpoint(entries: Record<string, unknown>[]): string {
  if (entries.some((e) => isObject(e.in) || isObject(e.out))) return 'allcalls';
  if (entries.some((e) => 'cost' in e && !Array.isArray(e.calls))) return 'outsummary';
  if (entries.some((e) => 'device' in e)) return 'outcalls';
  if (entries.some((e) => Array.isArray(e.calls))) {
    const first = entries.flatMap((e) => (Array.isArray(e.calls) ? e.calls : []))[0];
    return isObject(first) && ('dialled' in first || 'cid' in first) ? 'outcalls' : 'incalls';
  }
  return 'allcalls';
}

function optionsOf(ctx: NormaliseContext): CallOptions {
  const c = ctx.config as NormaliseContext['config'] & IpcortexFields;
  const divisor = c.cost_divisor ?? 1;
  const places = Math.round(Math.log10(divisor));
  if (10 ** places !== divisor)
    throw new CallhouseError('CONFIG_INVALID', `cost_divisor must be a power of 10, got ${divisor}`);
  return {
    costPlaces: places,
    currency: c.currency ?? 'GBP',
    accessPrefixes: c.access_prefixes ?? DEFAULT_ACCESS_PREFIXES,
    // The vendor documents allcalls as carrying no cost data (its items may still say `cost: 0`).
    costKnown: ctx.meta.endpoint !== 'allcalls',
  };
}
