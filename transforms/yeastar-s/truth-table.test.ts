/**
 * Yeastar S truth table: the documented report shapes (seed 000, VENDORS.md §1) and the canonical
 * fields each must give, worked out by hand. The DST rows are hand-written NewCdr reports whose
 * `timestart` falls in the spring gap or the repeated autumn hour of four zones; the callid epoch
 * (absolute) says which reading is the call's. Epochs: 2024-01-01T00:00Z is 1704067200, plus
 * whole days of 86400 s and the hour in UTC.
 */
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../connectors/core/contract.js';
import type { CallRecord } from '../core/model.js';
import { normaliseYeastarS } from './normalise.js';
import { testContext } from './test-context.js';

const DAY = 86400;
const Y2024 = 1704067200;
const at = (days: number, hh: number, mm: number): number => Y2024 + days * DAY + hh * 3600 + mm * 60;

function run(report: Record<string, unknown>, zone: string) {
  const observed: Observation[] = [];
  const ctx = { ...testContext({ timezone: zone, country: 'GB' }), observe: (o: Observation) => void observed.push(o) };
  const out = normaliseYeastarS(Buffer.from(JSON.stringify(report)), 'application/json', ctx);
  return { out, warnings: ctx.warnings, observed };
}

function cdr(callid: string, timestart: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    action: 'NewCdr',
    callid,
    timestart,
    callfrom: '1002',
    callto: '1000',
    callduraction: '10',
    talkduraction: '8',
    status: 'ANSWERED',
    type: 'Internal',
    ...extra,
  };
}

type DstRow = [string, string, string, number, string, string, Observation['kind'], 'vendor_time' | 'rule'];

// zone, timestart, callid epoch, expected started_at (UTC), expected started_local, observed kind.
const DST: DstRow[] = [
  // London, 27 Oct (day 300): 01:30 is 00:30Z (BST) and again 01:30Z (GMT).
  [
    'London, repeated hour, first',
    'Europe/London',
    '2024-10-27 01:30:00',
    at(300, 0, 30),
    '2024-10-27 00:30:00.000',
    '2024-10-27 01:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  [
    'London, repeated hour, second',
    'Europe/London',
    '2024-10-27 01:30:00',
    at(300, 1, 30),
    '2024-10-27 01:30:00.000',
    '2024-10-27 01:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  // New York, 3 Nov (day 307): 01:30 is 05:30Z (EDT) and 06:30Z (EST).
  [
    'New York, repeated hour, first',
    'America/New_York',
    '2024-11-03 01:30:00',
    at(307, 5, 30),
    '2024-11-03 05:30:00.000',
    '2024-11-03 01:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  [
    'New York, repeated hour, second',
    'America/New_York',
    '2024-11-03 01:30:00',
    at(307, 6, 30),
    '2024-11-03 06:30:00.000',
    '2024-11-03 01:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  // Sydney, 7 Apr local (6 Apr UTC, day 96): 02:30 is 15:30Z (AEDT +11) and 16:30Z (AEST +10).
  [
    'Sydney, repeated hour, first',
    'Australia/Sydney',
    '2024-04-07 02:30:00',
    at(96, 15, 30),
    '2024-04-06 15:30:00.000',
    '2024-04-07 02:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  [
    'Sydney, repeated hour, second',
    'Australia/Sydney',
    '2024-04-07 02:30:00',
    at(96, 16, 30),
    '2024-04-06 16:30:00.000',
    '2024-04-07 02:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  // Jerusalem, 27 Oct local (26 Oct UTC, day 299): 01:30 is 22:30Z (IDT +3) and 23:30Z (IST +2).
  [
    'Jerusalem, repeated hour, first',
    'Asia/Jerusalem',
    '2024-10-27 01:30:00',
    at(299, 22, 30),
    '2024-10-26 22:30:00.000',
    '2024-10-27 01:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  [
    'Jerusalem, repeated hour, second',
    'Asia/Jerusalem',
    '2024-10-27 01:30:00',
    at(299, 23, 30),
    '2024-10-26 23:30:00.000',
    '2024-10-27 01:30:00.000',
    'dst_overlap',
    'vendor_time',
  ],
  // Spring gaps: the wall time never showed; it is moved forward by the gap (read with the
  // offset before the change), which is also what the callid says.
  // London 31 Mar (day 90): 01:30 GMT = 01:30Z, shown as 02:30 BST.
  [
    'London, gap',
    'Europe/London',
    '2024-03-31 01:30:00',
    at(90, 1, 30),
    '2024-03-31 01:30:00.000',
    '2024-03-31 02:30:00.000',
    'dst_gap',
    'rule',
  ],
  // New York 10 Mar (day 69): 02:30 EST = 07:30Z, shown as 03:30 EDT.
  [
    'New York, gap',
    'America/New_York',
    '2024-03-10 02:30:00',
    at(69, 7, 30),
    '2024-03-10 07:30:00.000',
    '2024-03-10 03:30:00.000',
    'dst_gap',
    'rule',
  ],
  // Sydney 6 Oct local (5 Oct UTC, day 278): 02:30 AEST = 16:30Z, shown as 03:30 AEDT.
  [
    'Sydney, gap',
    'Australia/Sydney',
    '2024-10-06 02:30:00',
    at(278, 16, 30),
    '2024-10-05 16:30:00.000',
    '2024-10-06 03:30:00.000',
    'dst_gap',
    'rule',
  ],
  // Jerusalem 29 Mar (day 88): 02:30 IST = 00:30Z, shown as 03:30 IDT.
  [
    'Jerusalem, gap',
    'Asia/Jerusalem',
    '2024-03-29 02:30:00',
    at(88, 0, 30),
    '2024-03-29 00:30:00.000',
    '2024-03-29 03:30:00.000',
    'dst_gap',
    'rule',
  ],
];

describe('yeastar-s truth table: DST hours of four zones', () => {
  it.each(DST)('%s', (_name, zone, timestart, epoch, utc, local, kind, by) => {
    const { out, warnings, observed } = run(cdr(`${epoch}.41`, timestart), zone);
    expect(out.calls[0]).toMatchObject({ started_at: utc, started_local: local });
    // The callid agrees with the reading taken, so the zone is not said to be wrong.
    expect(warnings).toEqual([]);
    expect(observed).toEqual([{ kind, resolved_by: by }]);
  });

  it('without an epoch in the callid, a repeated hour is read as its earlier occurrence, and counted', () => {
    const { out, observed } = run(cdr('pbx-7', '2024-10-27 01:30:00'), 'Europe/London');
    expect(out.calls[0]!.started_at).toBe('2024-10-27 00:30:00.000');
    expect(observed).toEqual([{ kind: 'dst_overlap', resolved_by: 'rule' }]);
  });

  it('an ordinary hour is not counted; a callid far from timestart still says the zone looks wrong', () => {
    const { warnings, observed } = run(cdr(`${at(160, 9, 0)}.1`, '2024-06-09 12:00:00'), 'Europe/London');
    expect(observed).toEqual([]);
    // 12:00 BST is 11:00Z; the callid says 09:00Z: the PBX seems to be at UTC+03:00.
    expect(warnings).toEqual([expect.stringContaining('seems to be at UTC+03:00')]);
  });
});

type Row = [string, Record<string, unknown>, Partial<CallRecord>];

const SEED_ZONE = 'Etc/GMT+8'; // the seed's samples: callid epoch 8 hours after timestart

const CDR_ROWS: Row[] = [
  [
    'seed: internal call, 3 s of which 2 talk',
    {
      action: 'NewCdr',
      callid: '1495779310.371',
      timestart: '2017-05-25 22:15:10',
      callfrom: '1002',
      callto: '1000',
      desttrunkname: '',
      callduraction: '3',
      talkduraction: '2',
      status: 'ANSWERED',
      type: 'Internal',
    },
    {
      call_id: '1495779310.371',
      parent_call_id: '',
      started_at: '2017-05-26 06:15:10.000',
      answered_at: '2017-05-26 06:15:11.000',
      ended_at: '2017-05-26 06:15:13.000',
      direction: 'internal',
      caller_ext: '1002',
      callee_ext: '1000',
      ring_seconds: 1,
      talk_seconds: 2,
      total_seconds: 3,
      disposition: 'answered',
    },
  ],
  [
    'seed: extension dials out over sip-142 (41004 is an outside number there)',
    {
      action: 'NewCdr',
      callid: '1495779454.374',
      timestart: '2017-05-25 22:17:34',
      callfrom: '1002',
      callto: '41004',
      desttrunkname: 'sip-142',
      callduraction: '4',
      talkduraction: '4',
      status: 'ANSWERED',
      type: 'Outbound',
    },
    { direction: 'outbound', trunk: 'sip-142', caller_ext: '1002', callee: '41004', callee_ext: '', ring_seconds: 0 },
  ],
  [
    'seed: outside number dials an extension over sip-142',
    {
      action: 'NewCdr',
      callid: '1495779821.377',
      timestart: '2017-05-25 22:23:41',
      callfrom: '1000',
      callto: '1002',
      srctrunkname: 'sip-142',
      callduraction: '18',
      talkduraction: '9',
      status: 'ANSWERED',
      type: 'Inbound',
    },
    { direction: 'inbound', trunk: 'sip-142', caller: '1000', caller_ext: '', callee_ext: '1002', ring_seconds: 9 },
  ],
  [
    'seed table: durations as HH:MM:SS (00:10:00 talk) and the 2017 dstrunkname spelling',
    {
      action: 'NewCdr',
      cdrid: '123456789',
      callid: '1495779454.380',
      timestart: '2017-05-25 22:17:34',
      callfrom: '1002',
      callto: '02079460018',
      dstrunkname: 'Sps128',
      callduraction: '00:10:30',
      talkduraction: '00:10:00',
      status: 'ANSWERED',
      type: 'Outbound',
    },
    {
      // The CDR ID tells this record from any other of the same callid.
      call_id: '1495779454.380-123456789',
      parent_call_id: '1495779454.380',
      trunk: 'Sps128',
      callee_e164: '+442079460018',
      ring_seconds: 30,
      talk_seconds: 600,
      total_seconds: 630,
    },
  ],
  [
    'a status no table knows is unknown and kept',
    {
      action: 'NewCdr',
      callid: '1495779310.390',
      timestart: '2017-05-25 22:15:10',
      callfrom: '1002',
      callto: '1000',
      callduraction: '5',
      talkduraction: '0',
      status: 'PARKED',
      type: 'Internal',
    },
    { disposition: 'unknown', vendor_status: 'PARKED', answered_at: null },
  ],
];

describe('yeastar-s truth table: NewCdr shapes', () => {
  it.each(CDR_ROWS)('%s', (_name, report, expected) => {
    expect(run(report, SEED_ZONE).out.calls[0]).toMatchObject(expected);
  });

  it('two CDRs of one callid (a forwarded call) are two records of that call', () => {
    const base = { action: 'NewCdr', callid: '1495779821.377', timestart: '2017-05-25 22:23:41', callduraction: '18' };
    const inbound = {
      ...base,
      cdrid: '501',
      callfrom: '02079460018',
      callto: '1002',
      srctrunkname: 'sip-142',
      talkduraction: '0',
      status: 'NO ANSWER',
      type: 'Inbound',
    };
    const forward = {
      ...base,
      cdrid: '502',
      callfrom: '1002',
      callto: '07700900123',
      desttrunkname: 'sip-142',
      talkduraction: '12',
      status: 'ANSWERED',
      type: 'Outbound',
    };
    const rows = [inbound, forward].map((r) => run(r, SEED_ZONE).out.calls[0]!);
    expect(rows.map((c) => [c.call_id, c.parent_call_id, c.leg, c.direction, c.disposition])).toEqual([
      ['1495779821.377-501', '1495779821.377', 0, 'inbound', 'no_answer'],
      ['1495779821.377-502', '1495779821.377', 0, 'outbound', 'answered'],
    ]);
  });
});

describe('yeastar-s truth table: call reports', () => {
  it.each([
    ['RING', 'ring'],
    ['ALERT', 'ringback'],
    // The guide's "Answer a Call" sample: RI where ANSWER is meant.
    ['RI', 'answer'],
    ['ANSWER', 'answer'],
    ['ANSWERED', 'answered'],
    ['BYE', 'hangup'],
    ['Tranfer', 'transfer'],
    ['CallFailed', 'failed'],
    ['Invite', 'invite'],
    ['Incoming', 'incoming'],
    ['DTMF', 'dtmf'],
    ['PlayPromptEnd', 'prompt_end'],
    ['satisfaction', 'survey'],
    ['ExtensionStatus', 'other'],
  ])('%s → %s', (action, type) => {
    const report = `{"action":"${action}","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}`;
    const ctx = testContext();
    const out = normaliseYeastarS(Buffer.from(report), 'application/json', ctx);
    expect(out.events[0]).toMatchObject({ event_type: type, vendor_action: action, parties: ['1000', '1002'] });
  });
});
