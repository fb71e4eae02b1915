import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CallhouseError } from '../../runtime/errors.js';
import { config, normaliseContext } from '../../connectors/yeastar-p/testing.js';
import { digest } from '../core/records.js';
import { normaliseYeastarP } from './index.js';

const shanghai = config({ timezone: 'Asia/Shanghai', country: 'CN' });
const berlin = config();

function run(body: unknown, cfg = berlin) {
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return normaliseYeastarP(bytes, 'application/json', normaliseContext(cfg));
}

const CDR_MSG = {
  call_id: '1651057476.362',
  time_start: '2022-04-27 19:04:36',
  call_from: '2005',
  call_to: '2002',
  call_duration: 24,
  talk_duration: 21,
  src_trunk_name: ' ',
  dst_trunk_name: ' ',
  pin_code: ' ',
  status: 'ANSWERED',
  type: 'Internal',
  recording: '20220427190445-1651057476.362-2005-2002-Internal.wav',
  did_number: ' ',
  agent_ring_time: 0,
  uid: '2024111913594421D77',
};

/** The vendor's own sample: msg is a JSON-encoded string. */
const SAMPLE_30012 = JSON.stringify({ type: 30012, sn: '3631A2124XXX', msg: JSON.stringify(CDR_MSG) });

const SHARED = { tenant: 'pbx-p', source: 'yeastar-p', connector_id: 'pbx-p', ingested_at: '2024-03-11 09:00:01.000' };

describe('yeastar-p 30012 Call End Details', () => {
  test('the vendor sample (msg as a string) → one exact calls row and a cdr event', () => {
    const out = run(SAMPLE_30012, shanghai);
    expect(out.calls).toEqual([
      {
        ...SHARED,
        call_id: '2024111913594421D77',
        parent_call_id: '',
        leg: 0,
        // 19:04:36 at the PBX (UTC+8), as the call_id's epoch 1651057476 also says.
        started_at: '2022-04-27 11:04:36.000',
        started_local: '2022-04-27 19:04:36.000',
        answered_at: '2022-04-27 11:04:39.000',
        ended_at: '2022-04-27 11:05:00.000',
        direction: 'internal',
        caller: '2005',
        callee: '2002',
        caller_e164: '',
        callee_e164: '',
        caller_ext: '2005',
        callee_ext: '2002',
        trunk: '',
        did: '',
        queue: '',
        agent: '',
        disposition: 'answered',
        vendor_status: 'ANSWERED',
        vendor_type: 'Internal',
        ring_seconds: 3,
        talk_seconds: 21,
        total_seconds: 24,
        queue_wait_seconds: null,
        cost: null,
        currency: '',
        recording: '20220427190445-1651057476.362-2005-2002-Internal.wav',
      },
    ]);
    expect(out.events).toEqual([
      {
        ...SHARED,
        call_id: '2024111913594421D77',
        event_at: '2022-04-27 11:05:00.000',
        event_type: 'cdr',
        vendor_action: '30012',
        parties: ['2005', '2002'],
        from: '2005',
        to: '2002',
        trunk: '',
        info: 'ANSWERED',
        event_key: digest('yeastar-p:30012:2024111913594421D77'),
      },
    ]);
    expect(out.reportRows).toEqual([]);
  });

  test('msg as an object, or the whole body as a JSON string, gives the very same records', () => {
    const asString = run(SAMPLE_30012, shanghai);
    expect(run({ type: 30012, sn: '3631A2124XXX', msg: CDR_MSG }, shanghai)).toEqual(asString);
    expect(run(JSON.stringify(SAMPLE_30012), shanghai)).toEqual(asString);
    expect(run({ type: '30012', msg: CDR_MSG }, shanghai)).toEqual(asString);
  });

  test('an inbound call without uid: call_id, trunk, DID, E.164 and lowercase type', () => {
    const out = run({
      type: 30012,
      msg: {
        call_id: '1710064800.55',
        time_start: '2024-03-10 11:00:00',
        call_from: '+49 151 12345678',
        call_to: '6400',
        call_duration: 35,
        talk_duration: 0,
        src_trunk_name: 'SIP-Trunk-1',
        dst_trunk_name: ' ',
        status: 'NO ANSWER',
        type: 'inbound',
        recording: ' ',
        did_number: '+4930123450',
        agent_ring_time: 0,
      },
    });
    expect(out.calls[0]).toMatchObject({
      call_id: '1710064800.55',
      started_at: '2024-03-10 10:00:00.000',
      started_local: '2024-03-10 11:00:00.000',
      answered_at: null,
      ended_at: '2024-03-10 10:00:35.000',
      direction: 'inbound',
      caller: '+49 151 12345678',
      caller_e164: '+4915112345678',
      caller_ext: '',
      callee_ext: '6400',
      trunk: 'SIP-Trunk-1',
      did: '+4930123450',
      disposition: 'no_answer',
      vendor_type: 'inbound',
      ring_seconds: 35,
      talk_seconds: 0,
      total_seconds: 35,
      queue_wait_seconds: null,
      recording: '',
    });
  });

  test('an outbound queue callback: destination trunk, queue wait from agent_ring_time, string durations', () => {
    const out = run({
      type: 30012,
      msg: {
        ...CDR_MSG,
        uid: ' ',
        call_id: 'c-1',
        type: 'Outbound',
        call_to: '03012345678',
        dst_trunk_name: 'PSTN-BRI',
        call_duration: '00:01:00',
        talk_duration: '40',
        agent_ring_time: 12,
        status: 'BUSY',
      },
    });
    expect(out.calls[0]).toMatchObject({
      call_id: 'c-1',
      direction: 'outbound',
      callee_e164: '+493012345678',
      trunk: 'PSTN-BRI',
      disposition: 'busy',
      ring_seconds: 20,
      talk_seconds: 40,
      total_seconds: 60,
      queue_wait_seconds: 12,
    });
  });

  test('bad values are dead letters with a reason, never zeros', () => {
    const bad = (msg: Record<string, unknown>) => () => run({ type: 30012, msg: { ...CDR_MSG, ...msg } });
    expect(bad({ call_duration: 'soon' })).toThrow(/call_duration: not a duration: "soon"/);
    expect(bad({ talk_duration: undefined })).toThrow(/talk_duration: not a duration/);
    expect(bad({ time_start: ' ' })).toThrow(/time_start: missing/);
    expect(bad({ time_start: '27.04.2022 19:04' })).toThrow(/time_start: not a time/);
    expect(bad({ uid: '', call_id: ' ' })).toThrow(/30012: no call_id or uid/);
    expect(() => run('{"type":30012,"msg":"{not json"}')).toThrow(/msg is a string but not JSON/);
    expect(() => run('{"hello":1}')).toThrow(/no numeric "type"/);
    expect(() => run('[1]')).toThrow(/not a JSON object/);
    expect(() => run('{"type":')).toThrow(/body is not JSON/);
  });
});

describe('yeastar-p 30039 Call End Timeline', () => {
  const leg1 = {
    uid: '20261016150409C6FF1',
    cdr_id: '20261016150409-BC686',
    transaction_id: '31001',
    leg: 1,
    time_start: '2026/10/16 15:04:09',
    call_type: 'Internal',
    call_from: '5555',
    call_to: '3021',
    src_trunk: '',
    dst_trunk: '',
    status: 'ANSWERED',
    call_duration: 18,
    ring_duration: 6,
    talk_duration: 12,
    hold_duration: 0,
    event_list: [],
  };
  const leg2 = {
    ...leg1,
    cdr_id: '20261016150421-BC687',
    leg: 2,
    time_start: '2026/10/16 15:04:21',
    call_type: 'Inbound',
    call_from: '+33123456789',
    call_to: '6400',
    src_trunk: 'SIP-Trunk-1',
    status: 'ABANDONED',
    call_duration: 9,
    ring_duration: 9,
    talk_duration: 0,
  };

  test('each leg is a calls row under its call uid', () => {
    const rows = [leg1, leg2].flatMap((msg) => run({ type: 30039, sn: '3651D2032748', msg }).calls);
    expect(
      rows.map((r) => [r.call_id, r.parent_call_id, r.leg, r.started_at, r.started_local, r.answered_at, r.ended_at]),
    ).toEqual([
      [
        '20261016150409-BC686',
        '20261016150409C6FF1',
        1,
        '2026-10-16 13:04:09.000',
        '2026-10-16 15:04:09.000',
        '2026-10-16 13:04:15.000',
        '2026-10-16 13:04:27.000',
      ],
      [
        '20261016150421-BC687',
        '20261016150409C6FF1',
        1,
        '2026-10-16 13:04:21.000',
        '2026-10-16 15:04:21.000',
        null,
        '2026-10-16 13:04:30.000',
      ],
    ]);
    expect(
      rows.map((r) => [
        r.direction,
        r.caller_e164,
        r.callee_ext,
        r.trunk,
        r.disposition,
        r.vendor_status,
        r.ring_seconds,
        r.talk_seconds,
        r.total_seconds,
      ]),
    ).toEqual([
      ['internal', '', '3021', '', 'answered', 'ANSWERED', 6, 12, 18],
      ['inbound', '+33123456789', '6400', 'SIP-Trunk-1', 'abandoned', 'ABANDONED', 9, 0, 9],
    ]);
  });

  test('leg 0 is read as leg 1; a leg without a cdr_id is named after the uid; a bad leg is refused', () => {
    expect(run({ type: 30039, msg: { ...leg1, leg: 0, cdr_id: '' } }).calls[0]).toMatchObject({
      call_id: '20261016150409C6FF1-1',
      leg: 1,
    });
    expect(() => run({ type: 30039, msg: { ...leg1, leg: 'first' } })).toThrow(/leg: not a number/);
    expect(() => run({ type: 30039, msg: { ...leg1, uid: '' } })).toThrow(/30039: no uid/);
  });
});

describe('yeastar-p live events', () => {
  const members = [
    { extension: { number: '2005', channel_id: 'PJSIP/2005-00000010', member_status: 'ANSWERED', call_path: '' } },
    {
      inbound: {
        from: '+4915112345678',
        to: '6400',
        trunk_name: 'SIP-Trunk-1',
        channel_id: 'PJSIP/t-0011',
        member_status: 'ANSWER',
      },
    },
  ];

  test('30011 call state, 30016 invitation, 30017 DTMF, 30027 report ready, unknown types', () => {
    const ev = (body: unknown) => run(body).events[0]!;
    expect(ev({ type: 30011, sn: 'X', msg: JSON.stringify({ call_id: '1651057476.362', members }) })).toMatchObject({
      call_id: '1651057476.362',
      event_at: '2024-03-11 09:00:00.000',
      event_type: 'answer',
      vendor_action: '30011',
      parties: ['2005', '+4915112345678'],
      from: '+4915112345678',
      to: '6400',
      trunk: 'SIP-Trunk-1',
      info: '2005:ANSWERED +4915112345678:ANSWER',
    });
    expect(ev({ type: 30016, msg: { call_id: 'c9', members: [members[1]] } })).toMatchObject({
      event_type: 'invite',
      parties: ['+4915112345678'],
      from: '+4915112345678',
      to: '6400',
      trunk: 'SIP-Trunk-1',
    });
    expect(ev({ type: 30017, msg: { call_id: 'c9', members, info: '2', flag: 0, infos: '12' } })).toMatchObject({
      event_type: 'dtmf',
      info: '2',
      call_id: 'c9',
    });
    expect(
      ev({
        type: 30027,
        msg: {
          key: 'report_download',
          result: 'success',
          file: 'Sep-Agent-Performance_detail.csv',
          download_resource_url: '/api/download/Sep-Agent-Performance_detail.csv',
          error: '',
          download_id: 8,
        },
      }),
    ).toMatchObject({
      call_id: '',
      event_type: 'other',
      vendor_action: '30027',
      info: 'Sep-Agent-Performance_detail.csv',
    });
    expect(ev({ type: 30027, msg: { result: 'FAILURE', error: 'disk full' } }).info).toBe('FAILURE: disk full');
    expect(ev({ type: 30008, msg: '{"extension":"2002","status":"Ringing"}' })).toMatchObject({
      event_type: 'other',
      vendor_action: '30008',
      call_id: '',
    });
    const twice = run({ type: 30011, sn: 'X', msg: { call_id: '1', members } }).events[0]!.event_key;
    expect(run({ type: 30011, sn: 'X', msg: JSON.stringify({ members, call_id: '1' }) }).events[0]!.event_key).toBe(
      twice,
    );
  });

  test('an array body or JSON lines carry several events', () => {
    const a = { type: 30017, msg: { call_id: 'c1', members, info: '1' } };
    const b = { type: 30017, msg: { call_id: 'c1', members, info: '2' } };
    expect(run([a, b]).events.map((e) => e.info)).toEqual(['1', '2']);
    expect(run(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n`).events.map((e) => e.info)).toEqual(['1', '2']);
  });
});

describe('yeastar-p event properties', () => {
  const field = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(' '), fc.constant(null), fc.double());
  const msg = fc.dictionary(
    fc.constantFrom(
      'call_id',
      'uid',
      'time_start',
      'call_duration',
      'talk_duration',
      'ring_duration',
      'status',
      'type',
      'call_type',
      'leg',
      'cdr_id',
      'members',
      'info',
      'call_from',
    ),
    field,
  );
  test('any event either normalises or fails with a CallhouseError', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(30011, 30012, 30016, 30017, 30027, 30039, 1),
        msg,
        fc.boolean(),
        (type, m, asString) => {
          try {
            run({ type, msg: asString ? JSON.stringify(m) : m });
          } catch (e) {
            expect(e).toBeInstanceOf(CallhouseError);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('a valid 30012 gives the same records whether msg is a string or an object', () => {
    const valid = fc.record({
      call_id: fc.stringMatching(/^\d{10}\.\d{1,4}$/),
      time_start: fc
        .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 19).replace('T', ' ')),
      call_duration: fc.nat(100000),
      talk_duration: fc.nat(100000),
      status: fc.constantFrom('ANSWERED', 'NO ANSWER', 'BUSY', 'VOICEMAIL', 'FAILED', 'whatever'),
      type: fc.constantFrom('Inbound', 'outbound', 'Internal'),
      call_from: fc.stringMatching(/^\+?\d{3,12}$/),
      call_to: fc.stringMatching(/^\d{3,12}$/),
    });
    fc.assert(
      fc.property(valid, (m) => {
        const a = run({ type: 30012, msg: m });
        expect(run({ type: 30012, msg: JSON.stringify(m) })).toEqual(a);
        const call = a.calls[0]!;
        expect(call.ring_seconds).toBe(Math.max(0, m.call_duration - m.talk_duration));
        expect(call.total_seconds).toBe(m.call_duration);
      }),
      { numRuns: 300 },
    );
  });
});

describe('yeastar-p CDR records', () => {
  const v2 = {
    id: '67AE6498-7D80008A',
    uid: '20260915100344A5466',
    time: '2026/09/15 10:03:44',
    call_type: 'Inbound',
    call_from: 'Client<+33123456789>',
    call_to: 'SAV<6402>',
    last_status: 'ABANDONED',
    call_duration: 45,
    routing_duration: 45,
    handling_duration: 0,
    queues: [{ name: 'SAV', number: '6402', status: 'ABANDONED' }],
  };

  test('a v2 record (the public fixture): abandoned in queue SAV, named numbers unwrapped', () => {
    expect(run(v2).calls[0]).toMatchObject({
      call_id: '20260915100344A5466',
      started_at: '2026-09-15 08:03:44.000',
      started_local: '2026-09-15 10:03:44.000',
      answered_at: null,
      ended_at: '2026-09-15 08:04:29.000',
      direction: 'inbound',
      caller: '+33123456789',
      caller_e164: '+33123456789',
      callee: '6402',
      callee_ext: '6402',
      queue: 'SAV',
      disposition: 'abandoned',
      vendor_status: 'ABANDONED',
      ring_seconds: 45,
      talk_seconds: 0,
      total_seconds: 45,
    });
    // queues as an object, and a cdr/list answer holding records in `data`.
    expect(run({ ...v2, queues: { name: 'SAV', number: '6402' } }).calls[0]!.queue).toBe('SAV');
    expect(
      run({ errcode: 0, errmsg: 'SUCCESS', total_number: 2, data: [v2, { ...v2, uid: 'U2' }] }).calls.map(
        (c) => c.call_id,
      ),
    ).toEqual(['20260915100344A5466', 'U2']);
  });

  test('a v1 record in the DD/MM/YYYY display format, with its epoch timestamp preferred', () => {
    const c = config({ display_format: 'DD/MM/YYYY' });
    const v1 = {
      id: '12',
      uid: '1642005384.120',
      time: '12/01/2022 17:36:24',
      call_from: '1001',
      call_to: '0049301234567',
      duration: 70,
      ring_duration: 10,
      talk_duration: 60,
      disposition: 'ANSWERED',
      call_type: 'Outbound',
      dst_trunk: 'PSTN-BRI',
      record_file: '20220112173624-1001-0049301234567.wav',
    };
    expect(run(v1, c).calls[0]).toMatchObject({
      call_id: '1642005384.120',
      started_at: '2022-01-12 16:36:24.000',
      answered_at: '2022-01-12 16:36:34.000',
      callee_e164: '+49301234567',
      trunk: 'PSTN-BRI',
      disposition: 'answered',
      recording: '20220112173624-1001-0049301234567.wav',
    });
    expect(run({ ...v1, timestamp: 1642005384 }, c).calls[0]!.started_at).toBe('2022-01-12 16:36:24.000');
    expect(() => run({ ...v1, duration: 'long' }, c)).toThrow(/call_duration: not a duration/);
  });
});
