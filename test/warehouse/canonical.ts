/**
 * A small canonical data set that mixes every case the warehouse must absorb, written by hand
 * (no simulator, no normaliser): two tenants in two zones on their DST days, versions of one
 * call from two feeds (Voicenter's notification and its polled Call Log record) arriving in
 * both orders, in one insert and across inserts, with an older version arriving last; exact
 * redeliveries; a changed redelivery whose newer version lacks a field; a Click2Call leg-1
 * record; calls with no cost (IPCortex `allcalls` prices none: the month's cost is in its
 * billing summary); queue calls with known and unknown waits. Local times are written out by
 * hand from the zones' rules:
 *   Asia/Jerusalem: UTC+2 until 2024-03-29 00:00 UTC (02:00 local), then UTC+3 (no 02:xx that day).
 *   Europe/London: UTC+1 until 2024-10-27 01:00 UTC, then UTC+0 (01:xx local happens twice).
 * The expected rows of every view, worked out by hand, are in canonical-views.test.ts.
 */
import type { CallRecord } from '../../transforms/core/model.js';

/** One delivery of one version: the record, the feed it came from, and the insert it arrives in. */
export interface Delivery {
  record: CallRecord;
  origin: string;
  batch: 'A' | 'B' | 'C';
}

type Fields = Partial<CallRecord> &
  Pick<CallRecord, 'call_id' | 'started_at' | 'started_local' | 'direction' | 'disposition' | 'ingested_at'>;

const BLANK = {
  parent_call_id: '',
  leg: 0,
  answered_at: null,
  ended_at: null,
  caller: '',
  callee: '',
  caller_e164: '',
  callee_e164: '',
  caller_ext: '',
  callee_ext: '',
  trunk: '',
  did: '',
  queue: '',
  agent: '',
  vendor_status: '',
  vendor_type: '',
  ring_seconds: 0,
  talk_seconds: 0,
  total_seconds: 0,
  queue_wait_seconds: null,
  cost: null,
  recording: '',
};

function tlv(f: Fields): CallRecord {
  return { tenant: 'tlv', source: 'voicenter', connector_id: 'tlv-vc', currency: 'ILS', ...BLANK, ...f };
}

function lon(f: Fields): CallRecord {
  return { tenant: 'lon', source: 'ipcortex', connector_id: 'lon-ipc', currency: 'GBP', ...BLANK, trunk: 'sip1', ...f };
}

const v1 = {
  call_id: 'V1',
  started_at: '2024-03-28 22:00:00.000',
  started_local: '2024-03-29 00:00:00.000',
  direction: 'inbound',
  disposition: 'answered',
  vendor_status: 'ANSWER',
  vendor_type: 'Queue',
  caller: '0501112222',
  caller_e164: '+972501112222',
  callee_ext: '101',
  did: '037777777',
  queue: 'support',
  ring_seconds: 3,
  talk_seconds: 60,
  total_seconds: 63,
} as const;

const v2 = {
  call_id: 'V2',
  started_at: '2024-03-29 00:30:00.000',
  started_local: '2024-03-29 03:30:00.000',
  direction: 'inbound',
  disposition: 'answered',
  vendor_status: 'ANSWER',
  caller_e164: '+972501113333',
  callee_ext: '102',
  queue: 'support',
  ring_seconds: 4,
  talk_seconds: 90,
  total_seconds: 94,
} as const;

const v5 = {
  call_id: 'V5',
  started_at: '2024-03-29 08:00:00.000',
  started_local: '2024-03-29 11:00:00.000',
  direction: 'outbound',
  disposition: 'answered',
  vendor_status: 'ANSWER',
  caller_ext: '101',
  callee: '0539998888',
  callee_e164: '+972539998888',
} as const;

const v6 = {
  call_id: 'V6',
  parent_call_id: 'V6',
  started_at: '2024-03-29 09:00:00.000',
  started_local: '2024-03-29 12:00:00.000',
  direction: 'outbound',
  disposition: 'answered',
  caller_ext: '102',
  ingested_at: '2024-03-29 09:10:00.000',
} as const;

const i3 = {
  call_id: 'I3',
  started_at: '2024-10-26 22:30:00.000',
  started_local: '2024-10-26 23:30:00.000',
  direction: 'outbound',
  disposition: 'answered',
  caller_ext: '201',
  callee_e164: '+442079460000',
  ring_seconds: 2,
} as const;

const i1 = lon({
  call_id: 'I1',
  started_at: '2024-10-27 00:30:00.000',
  started_local: '2024-10-27 01:30:00.000', // BST, the first 01:30
  direction: 'inbound',
  disposition: 'answered',
  caller_e164: '+442071110001',
  callee_ext: '201',
  ring_seconds: 4,
  talk_seconds: 100,
  total_seconds: 104,
  ingested_at: '2024-10-27 00:40:00.000',
});

export const DELIVERIES: Delivery[] = [
  // Tel Aviv, the day before the spring change: an internal call at 23:00 local.
  {
    origin: 'cdr',
    batch: 'A',
    record: tlv({
      call_id: 'V10',
      started_at: '2024-03-28 21:00:00.000',
      started_local: '2024-03-28 23:00:00.000',
      direction: 'internal',
      disposition: 'answered',
      caller: '101',
      callee: '102',
      caller_ext: '101',
      callee_ext: '102',
      ring_seconds: 2,
      talk_seconds: 20,
      total_seconds: 22,
      ingested_at: '2024-03-28 21:10:00.000',
    }),
  },
  // V1: the notification first (it knows the 15 s queue wait and the answer time), the Call Log
  // record in a later insert (it knows the price and the recording, not the wait).
  {
    origin: 'notification',
    batch: 'A',
    record: tlv({
      ...v1,
      queue_wait_seconds: 15,
      answered_at: '2024-03-28 22:00:18.000',
      ended_at: '2024-03-28 22:01:18.000',
      ingested_at: '2024-03-28 22:05:00.000',
    }),
  },
  {
    origin: 'cdr',
    batch: 'B',
    record: tlv({
      ...v1,
      cost: '0.30',
      recording: 'https://rec.example/v1.mp3',
      ingested_at: '2024-03-29 06:00:00.000',
    }),
  },
  // V2, 03:30 local (IDT: 02:xx does not exist that day): the Call Log record first; its
  // notification (25 s wait) arrives two inserts later although it was ingested earlier (a replay).
  {
    origin: 'cdr',
    batch: 'A',
    record: tlv({ ...v2, cost: '0.20', ingested_at: '2024-03-29 06:00:00.000' }),
  },
  {
    origin: 'notification',
    batch: 'C',
    record: tlv({
      ...v2,
      queue_wait_seconds: 25,
      answered_at: '2024-03-29 00:30:29.000',
      ended_at: '2024-03-29 00:31:59.000',
      ingested_at: '2024-03-29 00:35:00.000',
    }),
  },
  // V3: abandoned in the queue, known from the Call Log only: its wait is unknown.
  {
    origin: 'cdr',
    batch: 'A',
    record: tlv({
      call_id: 'V3',
      started_at: '2024-03-29 06:00:00.000',
      started_local: '2024-03-29 09:00:00.000',
      direction: 'inbound',
      disposition: 'abandoned',
      vendor_status: 'ABANDONE',
      caller_e164: '+972501114444',
      queue: 'support',
      ingested_at: '2024-03-29 06:30:00.000',
    }),
  },
  // V4: the only call of queue `sales`, answered, wait unknown: nothing about waits is known there.
  {
    origin: 'cdr',
    batch: 'B',
    record: tlv({
      call_id: 'V4',
      started_at: '2024-03-29 07:00:00.000',
      started_local: '2024-03-29 10:00:00.000',
      direction: 'inbound',
      disposition: 'answered',
      caller_e164: '+972501115555',
      callee_ext: '103',
      queue: 'sales',
      ring_seconds: 5,
      talk_seconds: 45,
      total_seconds: 50,
      cost: '0.25',
      ingested_at: '2024-03-29 07:30:00.000',
    }),
  },
  // V5: both feeds in one insert, disagreeing on talk (the Call Log's 120 s wins) and on the
  // answer time (the notification's wins); the notification knows no ring time. Then the
  // notification once more, byte for byte.
  {
    origin: 'cdr',
    batch: 'B',
    record: tlv({
      ...v5,
      ring_seconds: 5,
      talk_seconds: 120,
      total_seconds: 125,
      cost: '0.50',
      answered_at: '2024-03-29 08:00:05.000',
      ended_at: '2024-03-29 08:02:05.000',
      ingested_at: '2024-03-29 08:10:00.000',
    }),
  },
  ...(['B', 'C'] as const).map((batch) => ({
    origin: 'notification',
    batch,
    record: tlv({
      ...v5,
      talk_seconds: 118,
      total_seconds: 118,
      answered_at: '2024-03-29 08:00:07.000',
      ended_at: '2024-03-29 08:02:05.000',
      ingested_at: '2024-03-29 08:02:30.000',
    }),
  })),
  // V6: a Click2Call, its leg-1 record (the ring to the agent) and leg 2 (the call).
  {
    origin: 'cdr',
    batch: 'A',
    record: tlv({ ...v6, leg: 1, ring_seconds: 3, talk_seconds: 10, total_seconds: 13, cost: '0.05' }),
  },
  {
    origin: 'cdr',
    batch: 'A',
    record: tlv({
      ...v6,
      leg: 2,
      callee_e164: '+972541234567',
      ring_seconds: 6,
      talk_seconds: 40,
      total_seconds: 46,
      cost: '0.15',
    }),
  },
  // V7 and V8: missed; V8's number is called back by V9 an hour later, V7's never.
  {
    origin: 'notification',
    batch: 'A',
    record: tlv({
      call_id: 'V7',
      started_at: '2024-03-29 10:00:00.000',
      started_local: '2024-03-29 13:00:00.000',
      direction: 'inbound',
      disposition: 'no_answer',
      caller_e164: '+972501234567',
      callee_ext: '101',
      ring_seconds: 15,
      total_seconds: 15,
      ingested_at: '2024-03-29 10:05:00.000',
    }),
  },
  {
    origin: 'cdr',
    batch: 'A',
    record: tlv({
      call_id: 'V8',
      started_at: '2024-03-29 11:00:00.000',
      started_local: '2024-03-29 14:00:00.000',
      direction: 'inbound',
      disposition: 'no_answer',
      caller_e164: '+972521111111',
      callee_ext: '102',
      ring_seconds: 20,
      total_seconds: 20,
      ingested_at: '2024-03-29 11:10:00.000',
    }),
  },
  {
    origin: 'cdr',
    batch: 'C',
    record: tlv({
      call_id: 'V9',
      started_at: '2024-03-29 12:00:00.000',
      started_local: '2024-03-29 15:00:00.000',
      direction: 'outbound',
      disposition: 'answered',
      caller_ext: '102',
      callee_e164: '+972521111111',
      ring_seconds: 4,
      talk_seconds: 30,
      total_seconds: 34,
      cost: '0.10',
      ingested_at: '2024-03-29 12:10:00.000',
    }),
  },
  // V11: March in UTC, April in Tel Aviv; unpriced and missed.
  {
    origin: 'notification',
    batch: 'B',
    record: tlv({
      call_id: 'V11',
      started_at: '2024-03-31 22:30:00.000',
      started_local: '2024-04-01 01:30:00.000',
      direction: 'inbound',
      disposition: 'no_answer',
      caller_e164: '+972501116666',
      callee_ext: '101',
      ring_seconds: 10,
      total_seconds: 10,
      ingested_at: '2024-03-31 22:35:00.000',
    }),
  },
  // London, IPCortex allcalls (no per-call cost). I3 is read again later without its trunk and
  // with 52 s of talk instead of 50: the newer talk wins, the trunk it lacks is kept.
  {
    origin: 'allcalls',
    batch: 'A',
    record: lon({ ...i3, talk_seconds: 50, total_seconds: 52, ingested_at: '2024-10-26 23:00:00.000' }),
  },
  {
    origin: 'allcalls',
    batch: 'B',
    record: lon({ ...i3, trunk: '', talk_seconds: 52, total_seconds: 54, ingested_at: '2024-10-27 09:00:00.000' }),
  },
  // I1 and I2 fall in the two real hours of the one local 01:00-02:00 of 2024-10-27. I1 is
  // delivered four times: once in A, once in B, twice in C.
  { origin: 'allcalls', batch: 'A', record: i1 },
  { origin: 'allcalls', batch: 'B', record: i1 },
  { origin: 'allcalls', batch: 'C', record: i1 },
  { origin: 'allcalls', batch: 'C', record: i1 },
  {
    origin: 'allcalls',
    batch: 'A',
    record: lon({
      call_id: 'I2',
      started_at: '2024-10-27 01:30:00.000',
      started_local: '2024-10-27 01:30:00.000', // GMT, the second 01:30
      direction: 'inbound',
      disposition: 'answered',
      caller_e164: '+442071110002',
      callee_ext: '202',
      ring_seconds: 6,
      talk_seconds: 200,
      total_seconds: 206,
      ingested_at: '2024-10-27 01:40:00.000',
    }),
  },
  {
    origin: 'allcalls',
    batch: 'B',
    record: lon({
      call_id: 'I4',
      started_at: '2024-10-27 12:00:00.000',
      started_local: '2024-10-27 12:00:00.000',
      direction: 'outbound',
      disposition: 'no_answer',
      caller_ext: '202',
      callee_e164: '+442079460001',
      ring_seconds: 20,
      total_seconds: 20,
      ingested_at: '2024-10-27 12:10:00.000',
    }),
  },
  {
    origin: 'allcalls',
    batch: 'B',
    record: lon({
      call_id: 'I5',
      started_at: '2024-10-27 13:00:00.000',
      started_local: '2024-10-27 13:00:00.000',
      direction: 'inbound',
      disposition: 'cancelled',
      caller_e164: '+442071110005',
      callee_ext: '201',
      ring_seconds: 8,
      total_seconds: 8,
      ingested_at: '2024-10-27 13:10:00.000',
    }),
  },
  // Queue `help`: answered after 8 s, abandoned after 40 s, answered with the wait unknown.
  {
    origin: 'allcalls',
    batch: 'A',
    record: lon({
      call_id: 'I6',
      started_at: '2024-10-27 14:00:00.000',
      started_local: '2024-10-27 14:00:00.000',
      direction: 'inbound',
      disposition: 'answered',
      caller_e164: '+442071110006',
      callee_ext: '202',
      queue: 'help',
      queue_wait_seconds: 8,
      ring_seconds: 2,
      talk_seconds: 30,
      total_seconds: 32,
      ingested_at: '2024-10-27 14:10:00.000',
    }),
  },
  {
    origin: 'allcalls',
    batch: 'A',
    record: lon({
      call_id: 'I7',
      started_at: '2024-10-27 14:30:00.000',
      started_local: '2024-10-27 14:30:00.000',
      direction: 'inbound',
      disposition: 'abandoned',
      caller_e164: '+442071110007',
      queue: 'help',
      queue_wait_seconds: 40,
      ingested_at: '2024-10-27 14:40:00.000',
    }),
  },
  {
    origin: 'allcalls',
    batch: 'B',
    record: lon({
      call_id: 'I8',
      started_at: '2024-10-27 15:00:00.000',
      started_local: '2024-10-27 15:00:00.000',
      direction: 'inbound',
      disposition: 'answered',
      caller_e164: '+442071110008',
      callee_ext: '201',
      queue: 'help',
      ring_seconds: 1,
      talk_seconds: 10,
      total_seconds: 11,
      ingested_at: '2024-10-27 15:10:00.000',
    }),
  },
  // I9 calls I7's number back 19.5 hours after it gave up.
  {
    origin: 'allcalls',
    batch: 'C',
    record: lon({
      call_id: 'I9',
      started_at: '2024-10-28 10:00:00.000',
      started_local: '2024-10-28 10:00:00.000',
      direction: 'outbound',
      disposition: 'answered',
      caller_ext: '202',
      callee_e164: '+442071110007',
      ring_seconds: 3,
      talk_seconds: 15,
      total_seconds: 18,
      ingested_at: '2024-10-28 10:10:00.000',
    }),
  },
];

/**
 * IPCortex outsummary rows (what the billing normaliser writes): company totals (device_id '')
 * and a device row of c1 that is part of its total; c2's October total corrected later; a
 * September summary for a month with no calls.
 */
export const BILLING: Record<string, unknown>[] = [
  billing('2024-10-01', 'c1', '', '12.34', 300, '2024-11-01 02:00:00.000'),
  billing('2024-10-01', 'c1', 'd1', '10.00', 250, '2024-11-01 02:00:00.000'),
  billing('2024-10-01', 'c2', '', '1.00', 60, '2024-11-01 02:00:00.000'),
  billing('2024-10-01', 'c2', '', '1.50', 90, '2024-11-02 02:00:00.000'),
  billing('2024-09-01', 'c1', '', '5.00', 120, '2024-10-01 02:00:00.000'),
];

function billing(
  month: string,
  company: string,
  device_id: string,
  cost: string,
  billable_seconds: number,
  ingested_at: string,
): Record<string, unknown> {
  return {
    tenant: 'lon',
    connector_id: 'lon-ipc',
    month,
    company,
    company_name: company.toUpperCase(),
    device_id,
    device_name: device_id,
    device: device_id ? `SIP-${device_id}` : '',
    cost,
    currency: 'GBP',
    billable_seconds,
    unknown_cost_calls: 0,
    ingested_at,
  };
}
