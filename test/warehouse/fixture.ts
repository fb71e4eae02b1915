/**
 * A hand-built set of call records for the reporting-view tests: two tenants in zones whose DST
 * changes fall on different dates (Europe/London 2024-03-31 and 2024-10-27, America/New_York
 * 2024-03-10), every disposition, leg 1/leg 2, a transfer, queue waits around 20 s, missed calls
 * returned and not returned within 24 h, and the delivery faults the views must absorb: exact
 * duplicates, a changed re-delivery arriving out of order, a changed re-delivery whose start
 * moved into another month partition, and late records. started_local is derived from the zone
 * as the transforms do it; every expected figure in the tests is worked out by hand from here.
 */
import { DateTime } from 'luxon';
import type { CallRecord } from '../../transforms/core/model.js';

const TENANTS = {
  lon: { source: 'yeastar-s', connector_id: 'lon-pbx', zone: 'Europe/London', currency: 'GBP', trunk: 'bt' },
  nyc: { source: 'voicenter', connector_id: 'nyc-pbx', zone: 'America/New_York', currency: 'USD', trunk: 'att' },
} as const;

const FMT = 'yyyy-MM-dd HH:mm:ss.SSS';

export function localOf(utc: string, zone: string): string {
  return DateTime.fromFormat(utc, FMT, { zone: 'utc' }).setZone(zone).toFormat(FMT);
}

type Spec = Partial<CallRecord> & {
  tenant: keyof typeof TENANTS;
  call_id: string;
  at: string; // started_at, UTC, 'YYYY-MM-DD HH:MM:SS'
  direction: CallRecord['direction'];
  disposition: CallRecord['disposition'];
};

export function call(s: Spec): CallRecord {
  const t = TENANTS[s.tenant];
  const started_at = `${s.at}.000`;
  const { at: _at, ...rest } = s;
  const ring = s.ring_seconds ?? 0;
  const talk = s.talk_seconds ?? 0;
  return {
    source: t.source,
    connector_id: t.connector_id,
    parent_call_id: '',
    leg: 0,
    started_at,
    started_local: localOf(started_at, t.zone),
    answered_at: null,
    ended_at: null,
    caller: '',
    callee: '',
    caller_e164: '',
    callee_e164: '',
    caller_ext: '',
    callee_ext: '',
    trunk: s.direction === 'internal' ? '' : t.trunk,
    did: '',
    queue: '',
    agent: '',
    vendor_status: s.disposition.toUpperCase(),
    vendor_type: '',
    ring_seconds: ring,
    talk_seconds: talk,
    total_seconds: ring + talk,
    queue_wait_seconds: null,
    cost: null,
    currency: t.currency,
    recording: '',
    ingested_at: `${s.at}.000`,
    ...rest,
  };
}

const L = '+4477009000';
const N = '+1212555000';

/** First delivery batch. */
export const batch1: CallRecord[] = [
  // London, 2024-03-31: clocks go from 01:00 GMT to 02:00 BST.
  call({ tenant: 'lon', call_id: 'L1', at: '2024-03-31 00:30:00', direction: 'inbound', disposition: 'answered', ring_seconds: 5, talk_seconds: 120, caller_e164: `${L}01`, callee_ext: '201', queue: 'sales', queue_wait_seconds: 20, cost: '0.10' }),
  call({ tenant: 'lon', call_id: 'L1', at: '2024-03-31 00:30:00', direction: 'inbound', disposition: 'answered', ring_seconds: 5, talk_seconds: 120, caller_e164: `${L}01`, callee_ext: '201', queue: 'sales', queue_wait_seconds: 20, cost: '0.10' }),
  // L2's newer delivery (answered) arrives first; the older one (no_answer) comes in batch 2.
  call({ tenant: 'lon', call_id: 'L2', at: '2024-03-31 01:30:00', direction: 'inbound', disposition: 'answered', ring_seconds: 8, talk_seconds: 9, caller_e164: `${L}02`, callee_ext: '202', queue: 'sales', queue_wait_seconds: 21, cost: '0.05', ingested_at: '2024-03-31 01:40:00.000' }),
  call({ tenant: 'lon', call_id: 'L3', at: '2024-03-31 10:00:00', direction: 'inbound', disposition: 'abandoned', ring_seconds: 45, caller_e164: `${L}03`, queue: 'sales', queue_wait_seconds: 45 }),
  call({ tenant: 'lon', call_id: 'L4', at: '2024-03-31 10:05:00', direction: 'inbound', disposition: 'answered', ring_seconds: 3, talk_seconds: 60, caller_e164: `${L}04`, callee_ext: '201', queue: 'sales', cost: '0.06' }),
  call({ tenant: 'lon', call_id: 'L5', at: '2024-03-31 12:00:00', direction: 'inbound', disposition: 'no_answer', ring_seconds: 30, caller_e164: `${L}05`, callee_ext: '202' }),
  call({ tenant: 'lon', call_id: 'L6', at: '2024-04-01 11:00:00', direction: 'outbound', disposition: 'busy', ring_seconds: 4, caller_ext: '202', callee_e164: `${L}05` }),
  call({ tenant: 'lon', call_id: 'L7', at: '2024-03-31 13:00:00', direction: 'inbound', disposition: 'cancelled', ring_seconds: 12, caller_e164: `${L}06`, callee_ext: '201' }),
  call({ tenant: 'lon', call_id: 'L8', at: '2024-03-31 12:00:00', direction: 'inbound', disposition: 'answered', ring_seconds: 2, talk_seconds: 15, caller_e164: `${L}06`, callee_ext: '201', cost: '0.02' }),
  call({ tenant: 'lon', call_id: 'L9', at: '2024-04-01 14:00:00', direction: 'inbound', disposition: 'answered', ring_seconds: 2, talk_seconds: 25, caller_e164: `${L}06`, callee_ext: '201', cost: '0.03' }),
  call({ tenant: 'lon', call_id: 'L10', at: '2024-03-31 18:00:00', direction: 'inbound', disposition: 'voicemail', ring_seconds: 20, caller_e164: `${L}03`, callee_ext: '202' }),
  call({ tenant: 'lon', call_id: 'L11', at: '2024-03-31 20:00:00', direction: 'inbound', disposition: 'failed', caller_e164: `${L}07` }),
  call({ tenant: 'lon', call_id: 'L12', at: '2024-04-01 20:00:00', direction: 'outbound', disposition: 'answered', ring_seconds: 6, talk_seconds: 300, caller_ext: '201', callee_e164: `${L}07`, cost: '0.30' }),
  call({ tenant: 'lon', call_id: 'L13', at: '2024-03-31 09:00:00', direction: 'internal', disposition: 'answered', ring_seconds: 2, talk_seconds: 30, caller_ext: '201', callee_ext: '202' }),
  call({ tenant: 'lon', call_id: 'L14', at: '2024-03-31 09:30:00', direction: 'internal', disposition: 'no_answer', ring_seconds: 20, caller_ext: '201', callee_ext: '203' }),
  // A transfer: 201 answers, then hands the caller to 203 (the vendor's second record).
  call({ tenant: 'lon', call_id: 'L15', at: '2024-03-31 14:00:00', direction: 'inbound', disposition: 'answered', ring_seconds: 4, talk_seconds: 40, caller_e164: `${L}08`, callee_ext: '201', cost: '0.04' }),
  call({ tenant: 'lon', call_id: 'L15T', parent_call_id: 'L15', at: '2024-03-31 14:00:41', direction: 'inbound', disposition: 'answered', ring_seconds: 3, talk_seconds: 100, caller_e164: `${L}08`, callee_ext: '203', cost: '0.10' }),
  call({ tenant: 'lon', call_id: 'L16', at: '2024-03-31 15:00:00', direction: 'inbound', disposition: 'system', caller_e164: `${L}09` }),
  call({ tenant: 'lon', call_id: 'L17', at: '2024-03-31 16:00:00', direction: 'outbound', disposition: 'unknown', caller_ext: '203', callee_e164: '+15551230000' }),
  // Click-to-call: leg 1 rings the extension (setup, not an attempt), leg 2 is the real call.
  call({ tenant: 'lon', call_id: 'L18', leg: 1, at: '2024-03-31 17:00:00', direction: 'internal', disposition: 'answered', ring_seconds: 3, talk_seconds: 55, callee_ext: '201', cost: '0.01' }),
  call({ tenant: 'lon', call_id: 'L18', leg: 2, at: '2024-03-31 17:00:05', direction: 'outbound', disposition: 'answered', ring_seconds: 5, talk_seconds: 50, caller_ext: '201', callee_e164: `${L}10`, cost: '0.20' }),
  // London, 2024-10-27: 01:00-02:00 local happens twice (BST, then GMT).
  call({ tenant: 'lon', call_id: 'L19', at: '2024-10-27 00:30:00', direction: 'outbound', disposition: 'answered', ring_seconds: 1, talk_seconds: 1800, caller_ext: '201', callee_e164: `${L}11`, cost: '0.50' }),
  call({ tenant: 'lon', call_id: 'L20', at: '2024-10-27 01:30:00', direction: 'outbound', disposition: 'answered', ring_seconds: 1, talk_seconds: 1800, caller_ext: '201', callee_e164: `${L}11`, cost: '0.50' }),

  // New York, 2024-03-10: clocks go from 02:00 EST to 03:00 EDT (07:00 UTC).
  call({ tenant: 'nyc', call_id: 'N1', at: '2024-03-10 04:30:00', direction: 'inbound', disposition: 'answered', ring_seconds: 6, talk_seconds: 200, caller_e164: `${N}1`, callee_ext: '301', queue: 'support', queue_wait_seconds: 10, cost: '0.50' }),
  call({ tenant: 'nyc', call_id: 'N2', at: '2024-03-10 06:59:00', direction: 'inbound', disposition: 'no_answer', ring_seconds: 25, caller_e164: `${N}2`, queue: 'support', queue_wait_seconds: 25 }),
  call({ tenant: 'nyc', call_id: 'N3', at: '2024-03-10 07:00:00', direction: 'inbound', disposition: 'answered', ring_seconds: 2, talk_seconds: 5, caller_e164: `${N}3`, callee_ext: '301', queue: 'support', queue_wait_seconds: 19, cost: '0.01' }),
  call({ tenant: 'nyc', call_id: 'N4', at: '2024-03-10 15:00:00', direction: 'outbound', disposition: 'answered', ring_seconds: 10, talk_seconds: 600, caller_ext: '302', callee_e164: `${N}2`, cost: '1.20' }),
  call({ tenant: 'nyc', call_id: 'N5', at: '2024-03-11 03:30:00', direction: 'outbound', disposition: 'failed', caller_ext: '302', callee_e164: `${N}99`, currency: '' }),
  call({ tenant: 'nyc', call_id: 'N6', at: '2024-03-10 14:00:00', direction: 'internal', disposition: 'busy', caller_ext: '301', callee_ext: '302' }),
  // UTC March, local February: bucketed by the local month.
  call({ tenant: 'nyc', call_id: 'N8', at: '2024-03-01 02:00:00', direction: 'outbound', disposition: 'answered', ring_seconds: 7, talk_seconds: 45, caller_ext: '301', callee_e164: `${N}5`, cost: '0.03' }),
  // N9's first delivery starts in April (UTC); its correction moves it into March.
  call({ tenant: 'nyc', call_id: 'N9', at: '2024-04-01 00:00:01', direction: 'inbound', disposition: 'answered', ring_seconds: 2, talk_seconds: 10, caller_e164: `${N}6`, callee_ext: '302', cost: '0.02', ingested_at: '2024-04-01 00:05:00.000' }),
  // New York calls London's missed number L03: another tenant, so it returns nothing there.
  call({ tenant: 'nyc', call_id: 'N10', at: '2024-03-31 12:00:00', direction: 'outbound', disposition: 'answered', ring_seconds: 5, talk_seconds: 60, caller_ext: '301', callee_e164: `${L}03`, cost: '0.60' }),
];

/** Later deliveries: duplicates, an older version arriving late, a correction, late records. */
export const batch2: CallRecord[] = [
  batch1[0]!, // L1 a third time, byte for byte
  call({ tenant: 'lon', call_id: 'L2', at: '2024-03-31 01:30:00', direction: 'inbound', disposition: 'no_answer', ring_seconds: 30, caller_e164: `${L}02`, callee_ext: '202', queue: 'sales', queue_wait_seconds: 30, ingested_at: '2024-03-31 01:31:00.000' }),
  { ...batch1.find((c) => c.call_id === 'L12')!, ingested_at: '2024-05-02 09:00:00.000' },
  call({ tenant: 'nyc', call_id: 'N9', at: '2024-03-31 23:59:58', direction: 'inbound', disposition: 'answered', ring_seconds: 2, talk_seconds: 12, caller_e164: `${N}6`, callee_ext: '302', cost: '0.02', ingested_at: '2024-04-01 00:10:00.000' }),
  // Late: a February call delivered twelve days later.
  call({ tenant: 'nyc', call_id: 'N7', at: '2024-02-29 16:00:00', direction: 'inbound', disposition: 'answered', ring_seconds: 3, talk_seconds: 30, caller_e164: `${N}4`, callee_ext: '301', cost: '0.07', ingested_at: '2024-03-12 08:00:00.000' }),
];
