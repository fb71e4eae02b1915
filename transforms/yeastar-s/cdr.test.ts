/** NewCdr samples of the seed and VENDORS.md §1 → their exact `calls` rows. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CallhouseError } from '../../runtime/errors.js';
import type { CallRecord } from '../core/model.js';
import { normaliseYeastarS } from './normalise.js';
import { INGESTED_AT, testContext } from './test-context.js';

type Ctx = ReturnType<typeof testContext>;
const run = (body: string | object, ctx: Ctx = testContext()) =>
  normaliseYeastarS(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), 'application/json', ctx);

const BASE: CallRecord = {
  tenant: 'acme',
  source: 'yeastar-s',
  connector_id: 'hq-pbx',
  call_id: '',
  parent_call_id: '',
  leg: 0,
  started_at: '',
  started_local: '',
  answered_at: null,
  ended_at: null,
  direction: 'unknown',
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
  disposition: 'answered',
  vendor_status: 'ANSWERED',
  vendor_type: '',
  ring_seconds: 0,
  talk_seconds: 0,
  total_seconds: 0,
  queue_wait_seconds: null,
  cost: null,
  currency: '',
  recording: '',
  ingested_at: INGESTED_AT,
};

describe('NewCdr → calls (seed samples, PBX at UTC−8)', () => {
  it('internal call', () => {
    const ctx = testContext();
    const out = run(
      '{"action":"NewCdr","callid":"1495779310.371","timestart":"2017-05-25 22:15:10","callfrom":"1002","callto":"1000","desttrunkname":"","callduraction":"3","talkduraction":"2","status":"ANSWERED","type":"Internal"}',
      ctx,
    );
    expect(out.calls).toEqual([
      {
        ...BASE,
        call_id: '1495779310.371',
        started_at: '2017-05-26 06:15:10.000',
        started_local: '2017-05-25 22:15:10.000',
        answered_at: '2017-05-26 06:15:11.000',
        ended_at: '2017-05-26 06:15:13.000',
        direction: 'internal',
        caller: '1002',
        callee: '1000',
        caller_ext: '1002',
        callee_ext: '1000',
        vendor_type: 'Internal',
        ring_seconds: 1,
        talk_seconds: 2,
        total_seconds: 3,
      },
    ]);
    expect(out.events).toHaveLength(1);
    expect(out.events[0]).toMatchObject({
      call_id: '1495779310.371',
      event_type: 'cdr',
      vendor_action: 'NewCdr',
      event_at: '2017-05-26 06:15:10.000',
      parties: [],
      from: '1002',
      to: '1000',
      trunk: '',
      info: '',
    });
    expect(ctx.warnings).toEqual([]);
  });

  it('extension dials out', () => {
    const out = run(
      '{"action":"NewCdr","callid":"1495779454.374","timestart":"2017-05-25 22:17:34","callfrom":"1002","callto":"41004","desttrunkname":"sip-142","callduraction":"4","talkduraction":"4","status":"ANSWERED","type":"Outbound"}',
    );
    expect(out.calls).toEqual([
      {
        ...BASE,
        call_id: '1495779454.374',
        started_at: '2017-05-26 06:17:34.000',
        started_local: '2017-05-25 22:17:34.000',
        answered_at: '2017-05-26 06:17:34.000',
        ended_at: '2017-05-26 06:17:38.000',
        direction: 'outbound',
        caller: '1002',
        callee: '41004',
        caller_ext: '1002',
        // 41004 went out over a trunk: an outside number, though short.
        callee_ext: '',
        trunk: 'sip-142',
        vendor_type: 'Outbound',
        ring_seconds: 0,
        talk_seconds: 4,
        total_seconds: 4,
      },
    ]);
  });

  it('outside number dials an extension', () => {
    const out = run(
      '{"action":"NewCdr","callid":"1495779821.377","timestart":"2017-05-25 22:23:41","callfrom":"1000","callto":"1002","srctrunkname":"sip-142","callduraction":"18","talkduraction":"9","status":"ANSWERED","type":"Inbound"}',
    );
    expect(out.calls).toEqual([
      {
        ...BASE,
        call_id: '1495779821.377',
        started_at: '2017-05-26 06:23:41.000',
        started_local: '2017-05-25 22:23:41.000',
        answered_at: '2017-05-26 06:23:50.000',
        ended_at: '2017-05-26 06:23:59.000',
        direction: 'inbound',
        caller: '1000',
        callee: '1002',
        // 1000 came in over a trunk: the outside caller, not extension 1000.
        caller_ext: '',
        callee_ext: '1002',
        trunk: 'sip-142',
        vendor_type: 'Inbound',
        ring_seconds: 9,
        talk_seconds: 9,
        total_seconds: 18,
      },
    ]);
  });
});

describe('NewCdr → calls (VENDORS.md §1)', () => {
  it('the sample with recording and pincode, PBX at UTC+8', () => {
    const ctx = testContext({ timezone: 'Asia/Shanghai', country: 'CN', currency: 'CNY' });
    const out = run(
      '{"action":"NewCdr","callid":"1505352615.274","timestart":"2017-09-14 09:30:15","callfrom":"1000","callto":"91000","desttrunkname":"Apple_test","callduraction":"29","talkduraction":"29","status":"ANSWERED","type":"Outbound","pincode":"1000","recording":"20170914093038-1505352615.274-1000-91000-Outbound.wav"}',
      ctx,
    );
    expect(out.calls).toEqual([
      {
        ...BASE,
        call_id: '1505352615.274',
        started_at: '2017-09-14 01:30:15.000',
        started_local: '2017-09-14 09:30:15.000',
        answered_at: '2017-09-14 01:30:15.000',
        ended_at: '2017-09-14 01:30:44.000',
        direction: 'outbound',
        caller: '1000',
        callee: '91000',
        caller_ext: '1000',
        callee_ext: '',
        trunk: 'Apple_test',
        vendor_type: 'Outbound',
        ring_seconds: 0,
        talk_seconds: 29,
        total_seconds: 29,
        currency: 'CNY',
        recording: '20170914093038-1505352615.274-1000-91000-Outbound.wav',
      },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it('v2: absent fields sent as "", NO ANSWERED (sic), an outside caller in E.164, a DID', () => {
    const ctx = testContext({ timezone: 'UTC' });
    const out = run(
      {
        event: 'NewCdr',
        callid: '1700000000.5',
        cdrid: '88',
        timestart: '2023-11-14 22:13:20',
        callfrom: '+14155550123',
        callto: '1001',
        srctrunkname: 'T1',
        desttrunkname: '',
        callduraction: '25',
        talkduraction: '',
        status: 'NO ANSWERED',
        type: 'Inbound',
        pincode: '',
        recording: '',
        didnumber: '4155550100',
        agentringtime: '',
      },
      ctx,
    );
    expect(out.calls).toEqual([
      {
        ...BASE,
        // The cdrid tells this CDR from others of the same callid; the callid joins its events.
        call_id: '1700000000.5-88',
        parent_call_id: '1700000000.5',
        started_at: '2023-11-14 22:13:20.000',
        started_local: '2023-11-14 22:13:20.000',
        answered_at: null,
        ended_at: '2023-11-14 22:13:45.000',
        direction: 'inbound',
        caller: '+14155550123',
        callee: '1001',
        caller_e164: '+14155550123',
        callee_ext: '1001',
        trunk: 'T1',
        did: '4155550100',
        disposition: 'no_answer',
        vendor_status: 'NO ANSWERED',
        vendor_type: 'Inbound',
        ring_seconds: 25,
        talk_seconds: 0,
        total_seconds: 25,
      },
    ]);
  });

  it('the guide\'s clock-like durations: "12:10:10 AM" and "00:10:00"', () => {
    const c = run({
      action: 'NewCdr',
      callid: '1495779310.372',
      timestart: '2017-05-25 22:15:10',
      callfrom: '1002',
      callto: '1000',
      callduraction: '12:10:10 AM',
      talkduraction: '00:10:00',
      status: 'ANSWERED',
      type: 'Internal',
    }).calls[0]!;
    expect([c.total_seconds, c.talk_seconds, c.ring_seconds, c.answered_at, c.ended_at]).toEqual([
      610,
      600,
      10,
      '2017-05-26 06:15:20.000',
      '2017-05-26 06:25:20.000',
    ]);
  });

  it.each([
    ['dstrunkname', '2017 table'],
    ['dsttrcunkname', 'v2 typo'],
  ])('reads the destination trunk from %s (%s)', (name) => {
    const c = run({
      action: 'NewCdr',
      callid: '1495779454.375',
      timestart: '2017-05-25 22:17:34',
      callfrom: '1002',
      callto: '0123456789',
      [name]: 'Sps128',
      callduraction: '4',
      talkduraction: '4',
      status: 'ANSWERED',
      type: 'Outbound',
    }).calls[0]!;
    expect(c.trunk).toBe('Sps128');
  });
});

const cdr = (over: Record<string, string>) => ({
  action: 'NewCdr',
  callid: '1495779821.380',
  timestart: '2017-05-25 22:23:41',
  callfrom: '1000',
  callto: '1002',
  callduraction: '18',
  talkduraction: '9',
  status: 'ANSWERED',
  type: 'Inbound',
  ...over,
});

describe('NewCdr values', () => {
  it.each([
    ['ANSWERED', 'answered'],
    ['ANSWERD', 'answered'],
    ['NO ANSWER', 'no_answer'],
    ['NO ANSWERED', 'no_answer'],
    ['NOANSWER', 'no_answer'],
    ['no answer ', 'no_answer'],
    ['FAILED', 'failed'],
    ['VOICEMAIL', 'voicemail'],
    ['BUSY', 'busy'],
    ['SOMETHING NEW', 'unknown'],
  ])('status %j → %s', (status, disposition) => {
    const c = run(cdr({ status })).calls[0]!;
    expect([c.disposition, c.vendor_status]).toEqual([disposition, status.trim()]);
  });

  it.each([
    [{ type: 'Inbound', srctrunkname: 'T1' }, 'inbound', 'T1'],
    [{ type: 'Outbound', desttrunkname: 'T2' }, 'outbound', 'T2'],
    [{ type: 'Internal' }, 'internal', ''],
    [{ type: 'inbound', srctrunkname: 'T1' }, 'inbound', 'T1'],
    [{ type: 'outbound', desttrunkname: 'T2' }, 'outbound', 'T2'],
    [{ type: 'Callback', desttrunkname: 'T2' }, 'outbound', 'T2'],
    [{ type: 'Transfer', srctrunkname: 'T1' }, 'inbound', 'T1'],
    [{ type: 'Transfer', desttrunkname: 'T2' }, 'outbound', 'T2'],
    [{ type: 'Transfer' }, 'internal', ''],
    [{ type: '' }, 'unknown', ''],
  ] as const)('type %j → %s on trunk %j', (over, direction, trunk) => {
    const c = run(cdr(over)).calls[0]!;
    expect([c.direction, c.trunk, c.vendor_type]).toEqual([direction, trunk, over.type]);
  });

  it.each([
    [{ callduraction: 'abc' }, 'callduraction: not a duration: "abc"'],
    [{ callduraction: '' }, 'callduraction: missing'],
    [{ talkduraction: '' }, 'talkduraction: missing on an answered call'],
    [{ talkduraction: '1 min' }, 'talkduraction: not a duration: "1 min"'],
    [{ timestart: '25/05/2017 22:23' }, 'timestart: not a time: "25/05/2017 22:23"'],
    [{ timestart: '' }, 'NewCdr without timestart'],
    [{ callid: '' }, 'NewCdr without callid'],
  ])('%j is a dead letter: %s', (over, message) => {
    expect(() => run(cdr(over))).toThrow(expect.objectContaining({ code: 'INVALID_VALUE', message }));
  });
});

describe('time zone check against the callid epoch', () => {
  const sample =
    '{"action":"NewCdr","callid":"1495779310.371","timestart":"2017-05-25 22:15:10","callfrom":"1002","callto":"1000","callduraction":"3","talkduraction":"2","status":"ANSWERED","type":"Internal"}';

  it('warns when the configured zone disagrees, naming the PBX offset', () => {
    const ctx = testContext({ timezone: 'Europe/London' });
    const c = run(sample, ctx).calls[0]!;
    expect(c.started_at).toBe('2017-05-25 21:15:10.000');
    expect(ctx.warnings).toEqual([
      'yeastar-s: the configured timezone Europe/London looks wrong; the PBX seems to be at UTC-08:00',
    ]);
  });

  it('reads timestart as UTC when no zone is configured, and warns twice', () => {
    const ctx = testContext({ timezone: undefined });
    const c = run(sample, ctx).calls[0]!;
    expect([c.started_at, c.started_local]).toEqual(['2017-05-25 22:15:10.000', '2017-05-25 22:15:10.000']);
    expect(ctx.warnings).toEqual([
      'yeastar-s: no timezone configured; reading timestart as UTC',
      'yeastar-s: the configured timezone (none: UTC) looks wrong; the PBX seems to be at UTC-08:00',
    ]);
  });

  it('says UTC+08:00 for the Shanghai sample read as UTC', () => {
    const ctx = testContext({ timezone: 'UTC' });
    run(
      '{"action":"NewCdr","callid":"1547391782.11","timestart":"2019-01-13 23:03:02","callfrom":"1000","callto":"1001","callduraction":"5","talkduraction":"5","status":"ANSWERED","type":"Internal"}',
      ctx,
    );
    expect(ctx.warnings).toEqual([
      'yeastar-s: the configured timezone UTC looks wrong; the PBX seems to be at UTC+08:00',
    ]);
  });

  it('is quiet within 15 minutes', () => {
    const ctx = testContext({ timezone: 'UTC' });
    run(
      '{"action":"NewCdr","callid":"1547391782.11","timestart":"2019-01-13 15:17:02","callfrom":"1000","callto":"1001","callduraction":"5","talkduraction":"5","status":"ANSWERED","type":"Internal"}',
      ctx,
    );
    expect(ctx.warnings).toEqual([]);
  });
});

describe('NewCdr properties', () => {
  const hms = (s: number) =>
    `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;

  it('ring + talk = total, ended = started + total, answered iff talk > 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.boolean(),
        fc.integer({ min: 1_400_000_000, max: 1_900_000_000 }),
        (a, b, asClock, epoch) => {
          const [talk, total] = a <= b ? [a, b] : [b, a];
          const form = (s: number) => (asClock ? hms(s) : String(s));
          const timestart = new Date(epoch * 1000).toISOString().slice(0, 19).replace('T', ' ');
          const ctx = testContext({ timezone: 'UTC' });
          const c = run(
            cdr({
              callid: `${epoch}.7`,
              timestart,
              callduraction: form(total),
              talkduraction: form(talk),
              status: talk > 0 ? 'ANSWERED' : 'NO ANSWER',
            }),
            ctx,
          ).calls[0]!;
          expect([c.total_seconds, c.talk_seconds, c.ring_seconds]).toEqual([total, talk, total - talk]);
          const ms = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`);
          expect(ms(c.ended_at!) - ms(c.started_at)).toBe(total * 1000);
          expect(c.answered_at === null).toBe(talk === 0);
          expect(ctx.warnings).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any object report normalises or fails with a CallhouseError', () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(''),
      fc.constantFrom('ANSWERED', '00:01:02', '2017-05-25 22:15:10', '12'),
    );
    const key = fc.constantFrom(
      'action',
      'event',
      'callid',
      'timestart',
      'callduraction',
      'talkduraction',
      'status',
      'type',
      'ext',
      'reason',
      'info',
      'srctrunkname',
    );
    const action = fc.constantFrom('NewCdr', 'BYE', 'RING', 'DTMF', 'CallFailed', 'x');
    fc.assert(
      fc.property(action, fc.array(fc.tuple(key, value), { maxLength: 12 }), (act, pairs) => {
        const body =
          `{"action":${JSON.stringify(act)},${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`.replace(
            ',}',
            '}',
          );
        try {
          const out = run(body);
          expect(out.events).toHaveLength(1);
        } catch (e) {
          expect(e).toBeInstanceOf(CallhouseError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
