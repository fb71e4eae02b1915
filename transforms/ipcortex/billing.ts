/** One company of an outsummary report → its total billing row plus one row per device. */
import { CallhouseError } from '../../runtime/errors.js';
import type { NormaliseContext } from '../../connectors/core/contract.js';
import { BillingRowSchema, type BillingRow } from '../core/model.js';
import { parseDuration } from '../core/durations.js';
import { scaleDown } from '../core/money.js';
import { isObject, text } from './merge.js';

/** Keys of a company entry that are its own totals; every other object-valued key is a device. */
const COMPANY_FIELDS = new Set(['name', 'cost', 'seconds', 'unknown']);

export interface SummaryOptions {
  company: string;
  /** `YYYY-MM`. */
  month: string;
  costPlaces: number;
  currency: string;
}

export function billingFromSummary(ctx: NormaliseContext, entry: unknown, opts: SummaryOptions): BillingRow[] {
  if (!isObject(entry)) throw new CallhouseError('INVALID_VALUE', 'outsummary: company entry is not an object');
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(opts.month)) {
    throw new CallhouseError('INVALID_VALUE', `outsummary: month must be YYYY-MM, got ${JSON.stringify(opts.month)}`);
  }
  const companyName = text(entry.name);
  const devices = Object.entries(entry)
    .filter(([k, v]) => !COMPANY_FIELDS.has(k) && isObject(v))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) as [string, Record<string, unknown>][];

  const deviceRows = devices.map(([deviceId, d]) =>
    row(ctx, opts, {
      company_name: companyName,
      device_id: deviceId,
      device_name: text(d.name),
      device: text(d.device),
      cost: scaleDown(required(d.cost, `${deviceId}.cost`), opts.costPlaces, `${deviceId}.cost`),
      billable_seconds: parseDuration(required(d.seconds, `${deviceId}.seconds`), `${deviceId}.seconds`),
      unknown_cost_calls: count(d.unknown, `${deviceId}.unknown`),
    }),
  );

  const cost = scaleDown(required(entry.cost, 'cost'), opts.costPlaces, 'cost');
  const unknown = count(entry.unknown, 'unknown');
  const total = row(ctx, opts, {
    company_name: companyName,
    device_id: '',
    device_name: '',
    device: '',
    cost,
    billable_seconds: companySeconds(entry.seconds, deviceRows, cost, unknown),
    unknown_cost_calls: unknown,
  });
  return [total, ...deviceRows];
}

/**
 * The documented schema has no company `seconds` (the examples do): without it the devices' sum
 * is the total; with no devices either, only a company that billed nothing has a known 0.
 */
function companySeconds(value: unknown, devices: BillingRow[], cost: string, unknown: number): number {
  if (value !== undefined && value !== null && value !== '') return parseDuration(value, 'seconds');
  if (devices.length > 0) return devices.reduce((sum, d) => sum + d.billable_seconds, 0);
  if (cost === '0' && unknown === 0) return 0;
  throw new CallhouseError('INVALID_VALUE', 'seconds: missing, and no per-device detail to sum');
}

function required(v: unknown, field: string): unknown {
  if (v === undefined || v === null || v === '') throw new CallhouseError('INVALID_VALUE', `${field}: missing`);
  return v;
}

/** `unknown` counts the calls whose cost the PABX could not work out; it is always documented. */
function count(v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new CallhouseError('INVALID_VALUE', `${field}: not a count: ${JSON.stringify(v ?? null)}`);
  }
  return n;
}

function row(
  ctx: NormaliseContext,
  opts: SummaryOptions,
  f: Pick<
    BillingRow,
    'company_name' | 'device_id' | 'device_name' | 'device' | 'cost' | 'billable_seconds' | 'unknown_cost_calls'
  >,
): BillingRow {
  const r = BillingRowSchema.safeParse({
    tenant: ctx.config.tenant,
    connector_id: ctx.config.id,
    month: `${opts.month}-01`,
    company: opts.company,
    ...f,
    currency: opts.currency,
    ingested_at: ctx.ingested_at,
  });
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new CallhouseError('INVALID_VALUE', `billing row: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return r.data;
}
