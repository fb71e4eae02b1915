/**
 * IPCortex truth table: each input shape of the billing API (seed 001, VENDORS.md §2) with the
 * canonical fields it must give, worked out by hand. Out items are hand-written like those of a
 * UK PABX: an access prefix `9`, national, mobile-range, foreign and invalid numbers, no trunk, no
 * type, NULL costs. Where the seed's text and its examples disagree, the text wins: allcalls
 * "excludes cost data", so the `cost: 0` of its example is not a cost.
 */
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../core/model.js';
import { normaliseIpcortex } from './index.js';
import { ALLCALLS_EXAMPLE, OUTCALLS_EXAMPLE, testContext } from './fixtures.js';

// 2024-06-01 10:00:00Z (11:00 BST): 2024-01-01 is 1704067200, plus 152 days and 10 hours.
const CALLDATE = 1704067200 + 152 * 86400 + 10 * 3600;

function out(
  call: Record<string, unknown>,
  device = { device_id: '0004f2aabbcc1', name: 'Ann Smith', device: 'snom-ann' },
) {
  return {
    company: 'default',
    company_name: 'Default Company',
    out: {
      ...device,
      call: { acctid: 900, calldate: CALLDATE, billsecs: 45, ringtime: 5, cid: '01632960000', ...call },
    },
  };
}

function one(
  body: unknown,
  meta: Record<string, string> = { endpoint: 'inout' },
  extra: Record<string, unknown> = {},
): CallRecord {
  const calls = normaliseIpcortex(
    Buffer.from(JSON.stringify(body)),
    'application/json',
    testContext(meta, extra),
  ).calls;
  expect(calls).toHaveLength(1);
  return calls[0]!;
}

type Row = [string, unknown, Partial<CallRecord>, Record<string, string>?, Record<string, unknown>?];

const OUTBOUND_TRUNK = { trunk: 'SIPTRUNK1', type: 'National' };

const ROWS: Row[] = [
  [
    'a trunk and a National type, dialled with the access prefix and called in short form',
    out({ ...OUTBOUND_TRUNK, dialled: '902079460018', called: '02079460018', cost: 3 }),
    {
      direction: 'outbound',
      callee: '02079460018',
      callee_e164: '+442079460018',
      callee_ext: '',
      caller: '01632960000',
      // The calling device, not the company number it presented.
      caller_ext: 'snom-ann',
      trunk: 'SIPTRUNK1',
      disposition: 'answered',
      cost: '3',
      ring_seconds: 5,
      talk_seconds: 45,
      started_at: '2024-06-01 10:00:00.000',
      started_local: '2024-06-01 11:00:00.000',
      answered_at: '2024-06-01 10:00:05.000',
      ended_at: '2024-06-01 10:00:50.000',
    },
  ],
  [
    'no short form: the access prefix is stripped from dialled to read the number',
    out({ ...OUTBOUND_TRUNK, dialled: '902079460018', called: '' }),
    { direction: 'outbound', callee: '902079460018', callee_e164: '+442079460018' },
  ],
  [
    'no trunk and no type: the number alone (prefix stripped) says outbound',
    out({ type: '', trunk: '', dialled: '902079460018', called: '' }),
    { direction: 'outbound', callee_e164: '+442079460018', trunk: '' },
  ],
  [
    'a trunk with a number that does not validate: still outbound, no E.164',
    out({ ...OUTBOUND_TRUNK, dialled: '9123', called: '123' }),
    { direction: 'outbound', callee: '123', callee_e164: '', callee_ext: '' },
  ],
  [
    'a foreign number dialled 9 00 33 …',
    out({ trunk: 'SIPTRUNK1', type: 'International', dialled: '90033145678901', called: '0033145678901' }),
    { direction: 'outbound', callee_e164: '+33145678901', vendor_type: 'International' },
  ],
  [
    'a mobile-range number: possible, not allocated, kept as its digits',
    out({ trunk: 'SIPTRUNK1', type: 'Mobile', dialled: '907700900123', called: '07700900123' }),
    { direction: 'outbound', callee_e164: '+447700900123' },
  ],
  [
    'a trunk and an empty type: outbound',
    out({ trunk: 'SIPTRUNK1', type: '', dialled: '9999', called: '999' }),
    { direction: 'outbound' },
  ],
  [
    'an Internal type wins over the number',
    out({ trunk: '', type: 'Internal', dialled: '204', called: '204' }),
    { direction: 'internal', callee: '204', callee_ext: '204' },
  ],
  [
    'no trunk, no type, an extension-length number: internal',
    out({ trunk: '', type: '', dialled: '2001', called: '' }),
    { direction: 'internal', callee_ext: '2001' },
  ],
  [
    'nothing to go by: unknown, never guessed',
    out({ trunk: '', type: '', dialled: '', called: '' }),
    { direction: 'unknown', callee: '', callee_e164: '' },
  ],
  [
    'without the prefix configured the prefixed number reads as nothing',
    out({ trunk: '', type: '', dialled: '902079460018', called: '' }),
    { direction: 'unknown', callee_e164: '' },
    { endpoint: 'inout' },
    { access_prefixes: [] },
  ],
  [
    'another access prefix, configured',
    out({ trunk: '', type: '', dialled: '802079460018', called: '' }),
    { direction: 'outbound', callee_e164: '+442079460018' },
    { endpoint: 'inout' },
    { access_prefixes: ['8'] },
  ],
  [
    'a device without a SIP name: its id names the caller',
    out({ ...OUTBOUND_TRUNK, dialled: '902079460018' }, { device_id: '0004f2aabbcc9', name: '', device: '' }),
    { caller_ext: '0004f2aabbcc9' },
  ],
  [
    'no talk time and no status: no_answer; a NULL cost stays NULL',
    out({ ...OUTBOUND_TRUNK, dialled: '902079460018', billsecs: 0, cost: null }),
    { disposition: 'no_answer', answered_at: null, cost: null },
  ],
  [
    'a cost in pence with cost_divisor 100',
    out({ ...OUTBOUND_TRUNK, dialled: '902079460018', cost: 17 }),
    { cost: '0.17' },
    { endpoint: 'inout' },
    { cost_divisor: 100 },
  ],
  [
    'allcalls: no cost data by the vendor text, whatever the item says',
    out({ ...OUTBOUND_TRUNK, dialled: '902079460018', cost: 0 }),
    { cost: null, direction: 'outbound' },
    { endpoint: 'allcalls' },
  ],
  [
    'in only, External, queued and abandoned: inbound from an outside caller',
    {
      company: 'default',
      company_name: '',
      in: {
        extension: '600',
        name: 'Sales queue',
        call: {
          acctid: 901,
          calldate: CALLDATE,
          caller: '07700900123',
          type: 'External',
          ringtime: 0,
          billsecs: 0,
          detail: 'Not answered',
          qtime: '42',
          qstatus: 'ABANDONED',
          ddi: '02079460000',
        },
      },
    },
    {
      direction: 'inbound',
      caller_e164: '+447700900123',
      caller_ext: '',
      callee_ext: '600',
      queue: '600',
      queue_wait_seconds: 42,
      disposition: 'abandoned',
      vendor_status: 'Not answered/ABANDONED',
      did: '02079460000',
      cost: null,
    },
  ],
  [
    'in only with a detail no table knows: unknown, kept',
    {
      company: 'default',
      company_name: '',
      in: {
        extension: '200',
        name: 'Desk',
        call: {
          acctid: 902,
          calldate: CALLDATE,
          caller: '203',
          type: 'Internal',
          ringtime: 3,
          billsecs: 0,
          detail: 'Forwarded elsewhere',
        },
      },
    },
    { direction: 'internal', disposition: 'unknown', vendor_status: 'Forwarded elsewhere', caller_ext: '203' },
  ],
];

describe('ipcortex truth table (seed 001, VENDORS.md §2)', () => {
  it.each(ROWS)('%s', (_name, body, expected, meta, extra) => {
    expect(one(body, meta, extra)).toMatchObject(expected);
  });

  it('the seed outcalls example: the Test Number *600 is internal, its caller the device rndT46', () => {
    expect(one(OUTCALLS_EXAMPLE, { endpoint: 'outcalls' })).toMatchObject({
      call_id: '26123',
      direction: 'internal',
      caller: '301',
      caller_ext: 'rndT46',
      callee: '*600',
      callee_ext: '',
      disposition: 'answered',
      talk_seconds: 61,
      cost: '0',
    });
  });

  it('the seed allcalls example: the same item has no cost (allcalls excludes cost data)', () => {
    const calls = normaliseIpcortex(
      Buffer.from(JSON.stringify(ALLCALLS_EXAMPLE)),
      'application/json',
      testContext(),
    ).calls;
    expect(calls.map((c) => [c.call_id, c.direction, c.cost])).toEqual([
      ['26123', 'internal', null],
      ['2012560', 'internal', null],
    ]);
  });
});
