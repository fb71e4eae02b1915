/**
 * Voicenter truth table, worked out by hand from seed 003 and VENDORS.md §4. Where they disagree
 * the seed (the vendor's document) wins: a notification's `duration` is "the actual time of the
 * conversation", without ringing (VENDORS.md read it, from public code, as including the queue
 * wait). Times: 1536855354 is 2018-09-13 16:15:54Z (2018-09-13T00:00Z is 1536796800, plus
 * 58554 s), 19:15:54 in Israel (IDT, +3).
 */
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../core/model.js';
import { normaliseVoicenter } from './normalise.js';
import { testContext } from './test-context.js';

function one(body: Record<string, unknown>, endpoint: 'notification' | 'cdr' = 'notification'): CallRecord {
  const calls = normaliseVoicenter(
    Buffer.from(JSON.stringify(body)),
    'application/json',
    testContext({ endpoint }),
  ).calls;
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

// The seed's field table, one value per field as its examples give them.
const SEED_NOTIFICATION = {
  caller: '0722776772',
  target: '972722776772',
  time: 1536855354,
  duration: 33,
  ivruniqueid: '201809131615530APIAPI-APIAc40c3d53',
  type: 'Incoming Call',
  status: 'ANSWER',
  targetextension: 'AAPINFzL',
  did: '0722776772',
  queueid: 0,
  price: 7,
  dialtime: 23,
  representative_name: 'Walter Melon',
};

type Row = [string, Record<string, unknown>, Partial<CallRecord>, ('notification' | 'cdr')?];

const ROWS: Row[] = [
  [
    'seed notification: duration 33 is the talk; dialtime 23 the ringing; price 7 agorot',
    SEED_NOTIFICATION,
    {
      call_id: '201809131615530APIAPI-APIAc40c3d53',
      started_at: '2018-09-13 16:15:54.000',
      started_local: '2018-09-13 19:15:54.000',
      answered_at: '2018-09-13 16:16:17.000',
      ended_at: '2018-09-13 16:16:50.000',
      direction: 'inbound',
      caller_e164: '+972722776772',
      callee_e164: '+972722776772',
      callee_ext: 'AAPINFzL',
      talk_seconds: 33,
      ring_seconds: 23,
      total_seconds: 56,
      queue_wait_seconds: null,
      cost: '0.07',
      currency: 'ILS',
      disposition: 'answered',
      agent: 'Walter Melon',
    },
  ],
  [
    'queue notification: the wait is apart from the talk, and comes first',
    { ...SEED_NOTIFICATION, type: 'Queue', queuename: 'Service Queue', seconds_waiting_in_queue: 5 },
    {
      talk_seconds: 33,
      ring_seconds: 23,
      queue_wait_seconds: 5,
      // wait 5 + ring 23 after the start, then 33 of talk.
      answered_at: '2018-09-13 16:16:22.000',
      ended_at: '2018-09-13 16:16:55.000',
      queue: 'Service Queue',
    },
  ],
  [
    'actualCallDuration, where sent, is the talk by name',
    { ...SEED_NOTIFICATION, actualCallDuration: 30 },
    { talk_seconds: 30, ended_at: '2018-09-13 16:16:47.000' },
  ],
  [
    'VENDORS.md queue sample: duration 20 with 20 s of waiting is 20 s of talk',
    {
      caller: '0501234567',
      target: '',
      time: 1595333610,
      duration: 20,
      ivruniqueid: '202007211213270124c',
      type: 'Queue',
      status: 'ANSWER',
      did: '0722776772',
      queuename: 'Sales Queue',
      seconds_waiting_in_queue: 20,
    },
    { talk_seconds: 20, queue_wait_seconds: 20, caller_e164: '+972501234567', answered_at: null, ended_at: null },
  ],
  [
    'a status no table knows is unknown, kept; no price is NULL, not 0',
    { ...SEED_NOTIFICATION, status: 'MYSTERY', price: undefined },
    { disposition: 'unknown', vendor_status: 'MYSTERY', cost: null },
  ],
  [
    'a foreign caller in international form',
    { ...SEED_NOTIFICATION, caller: '442079460018' },
    { caller_e164: '+442079460018', direction: 'inbound' },
  ],
  [
    'Call Log item (VENDORS.md): Duration is talk, RingTime ringing, Date UTC',
    {
      CallerNumber: '0722776772',
      TargetNumber: '972501234567',
      Date: '2024-06-10T09:04:58Z',
      Duration: 2,
      CallID: '202406101204550233243ghff3189e5c',
      Type: 'Extension Outgoing',
      CdrType: 4,
      DialStatus: 'ANSWER',
      CallerExtension: 'SIPSIP1',
      RingTime: 10,
    },
    {
      direction: 'outbound',
      started_at: '2024-06-10 09:04:58.000',
      answered_at: '2024-06-10 09:05:08.000',
      ended_at: '2024-06-10 09:05:10.000',
      talk_seconds: 2,
      ring_seconds: 10,
      caller_ext: 'SIPSIP1',
      callee_e164: '+972501234567',
    },
    'cdr',
  ],
];

describe('voicenter truth table (seed 003, VENDORS.md §4)', () => {
  it.each(ROWS)('%s', (_name, body, expected, endpoint) => {
    expect(one(body, endpoint)).toMatchObject(expected);
  });
});
