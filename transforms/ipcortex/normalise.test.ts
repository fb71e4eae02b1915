import { describe, expect, it } from 'vitest';
import { CallhouseError } from '../../runtime/errors.js';
import { normaliseIpcortex } from './index.js';
import {
  ALLCALLS_EXAMPLE,
  INCALLS_EXAMPLE,
  INGESTED_AT,
  OUTCALLS_EXAMPLE,
  OUTSUMMARY_DETAIL_EXAMPLE,
  OUTSUMMARY_EXAMPLE,
  testContext,
} from './fixtures.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const run = (body: unknown, meta: Record<string, string> = {}, extra: Record<string, unknown> = {}) =>
  normaliseIpcortex(json(body), 'application/json', testContext(meta, extra));

const inExample = INCALLS_EXAMPLE.values['200'];
const outExample = OUTCALLS_EXAMPLE.values['0500000004000'];
const inHalf = { extension: '200', name: inExample.name, call: inExample.calls[0]! };
const outHalf = {
  device_id: '0500000004000',
  name: outExample.name,
  device: outExample.device,
  call: outExample.calls[0]!,
};

const shared = {
  tenant: 'acme',
  source: 'ipcortex',
  connector_id: 'pabx-test',
  parent_call_id: '',
  leg: 0,
  agent: '',
  recording: '',
  currency: 'GBP',
  ingested_at: INGESTED_AT,
};

describe('ipcortex normaliser: the seed examples', () => {
  it('incalls item (internal, not answered) → one internal no_answer call', () => {
    const out = run({ company: 'test', company_name: '', in: inHalf });
    expect(out.calls).toEqual([
      {
        ...shared,
        call_id: '27739',
        started_at: '2017-02-23 11:55:41.000',
        started_local: '2017-02-23 11:55:41.000',
        answered_at: null,
        ended_at: '2017-02-23 11:55:55.000',
        direction: 'internal',
        caller: '203',
        callee: '200',
        caller_e164: '',
        callee_e164: '',
        caller_ext: '203',
        callee_ext: '200',
        trunk: '',
        did: '',
        queue: '',
        disposition: 'no_answer',
        vendor_status: 'Not answered',
        vendor_type: 'Internal',
        ring_seconds: 14,
        talk_seconds: 0,
        total_seconds: 14,
        queue_wait_seconds: null,
        cost: null,
      },
    ]);
    expect(out.events).toEqual([]);
    expect(out.billing).toEqual([]);
  });

  it('outcalls item ("Test Number" *600, no status) → internal, answered from talk time, cost 0', () => {
    const out = run({ company: 'test', company_name: '', out: outHalf });
    expect(out.calls).toEqual([
      {
        ...shared,
        call_id: '26123',
        started_at: '2017-02-23 10:57:44.000',
        started_local: '2017-02-23 10:57:44.000',
        answered_at: '2017-02-23 10:57:44.000',
        ended_at: '2017-02-23 10:58:45.000',
        direction: 'internal',
        caller: '301',
        callee: '*600',
        caller_e164: '',
        callee_e164: '',
        // The device that placed the call, not the caller ID it presented.
        caller_ext: 'rndT46',
        callee_ext: '',
        trunk: '',
        did: '',
        queue: '',
        disposition: 'answered',
        vendor_status: '',
        vendor_type: 'Test Number',
        ring_seconds: 0,
        talk_seconds: 61,
        total_seconds: 61,
        queue_wait_seconds: null,
        cost: '0',
      },
    ]);
  });

  it('a whole allcalls response → one call per acctid, in acctid order, local time in BST', () => {
    const calls = run(ALLCALLS_EXAMPLE).calls;
    expect(calls.map((c) => [c.call_id, c.started_at, c.started_local, c.direction, c.disposition, c.callee])).toEqual([
      ['26123', '2017-05-04 11:02:29.000', '2017-05-04 12:02:29.000', 'internal', 'answered', '*600'],
      ['2012560', '2017-05-04 11:59:11.000', '2017-05-04 12:59:11.000', 'internal', 'no_answer', '446'],
    ]);
  });

  it('whole incalls and outcalls responses are read too', () => {
    expect(run(INCALLS_EXAMPLE).calls.map((c) => c.call_id)).toEqual(['27739']);
    expect(run(OUTCALLS_EXAMPLE).calls.map((c) => [c.call_id, c.cost])).toEqual([['26123', '0']]);
  });

  it('outsummary without detail → the company total row', () => {
    const out = run(OUTSUMMARY_EXAMPLE.values.default, {
      endpoint: 'outsummary',
      company: 'default',
      month: '2017-02',
    });
    expect(out.calls).toEqual([]);
    expect(out.billing).toEqual([
      {
        tenant: 'acme',
        connector_id: 'pabx-test',
        month: '2017-02-01',
        company: 'default',
        company_name: 'Default Company',
        device_id: '',
        device_name: '',
        device: '',
        cost: '1.23',
        currency: 'GBP',
        billable_seconds: 217,
        unknown_cost_calls: 1,
        ingested_at: INGESTED_AT,
      },
    ]);
  });

  it('outsummary with detail → total plus one row per handset; cost_divisor 100 moves the point', () => {
    const billing = run(
      OUTSUMMARY_DETAIL_EXAMPLE.values.default,
      { endpoint: 'outsummary', company: 'default', month: '2017-02' },
      { cost_divisor: 100, currency: 'EUR' },
    ).billing;
    expect(
      billing.map((b) => [
        b.device_id,
        b.device_name,
        b.device,
        b.cost,
        b.currency,
        b.billable_seconds,
        b.unknown_cost_calls,
      ]),
    ).toEqual([
      ['', '', '', '0.0123', 'EUR', 217, 1],
      ['0200000000001', 'A User', 'softphone', '0.0123', 'EUR', 217, 1],
    ]);
  });

  it('a whole outsummary response uses meta.month for every company', () => {
    const billing = run(OUTSUMMARY_DETAIL_EXAMPLE, { month: '2017-02' }).billing;
    expect(billing.map((b) => [b.month, b.company, b.device_id])).toEqual([
      ['2017-02-01', 'default', ''],
      ['2017-02-01', 'default', '0200000000001'],
    ]);
  });

  it('company seconds missing (the documented schema): the devices are summed', () => {
    const { seconds: _s, ...entry } = OUTSUMMARY_DETAIL_EXAMPLE.values.default;
    const billing = run(entry, { endpoint: 'outsummary', company: 'default', month: '2017-02' }).billing;
    expect(billing[0]!.billable_seconds).toBe(217);
  });
});

describe('ipcortex normaliser: merged and constructed calls', () => {
  it('an internal call present in both halves is ONE internal call', () => {
    const call = { ...inExample.calls[0]!, acctid: 40001, billsecs: 30, detail: 'Answered' };
    const out = run({
      company: 'default',
      company_name: 'Default Company',
      in: { extension: '200', name: 'Desk 200', call },
      out: {
        device_id: '0004f2aabbcc0',
        name: 'Desk 203',
        device: 'snom320-203',
        call: {
          acctid: 40001,
          calldate: call.calldate,
          type: 'Internal',
          called_info: '',
          called: '200',
          dialled: '200',
          billsecs: 30,
          ringtime: 14,
          cost: 0,
          trunk: '',
          cid: '203',
        },
      },
    });
    expect(out.calls).toHaveLength(1);
    const c = out.calls[0]!;
    expect([
      c.call_id,
      c.direction,
      c.caller_ext,
      c.callee_ext,
      c.disposition,
      c.ring_seconds,
      c.talk_seconds,
      c.total_seconds,
      c.cost,
      c.vendor_type,
      c.answered_at,
    ]).toEqual([
      '40001',
      'internal',
      'snom320-203',
      '200',
      'answered',
      14,
      30,
      44,
      '0',
      'Internal',
      '2017-02-23 11:55:55.000',
    ]);
  });

  it('inbound external queued call: caller E.164, DDI, queue, wait, queue status', () => {
    const c = run({
      company: 'default',
      company_name: 'Default Company',
      in: {
        extension: '500',
        name: 'Sales Queue',
        call: {
          acctid: '31000',
          calldate: '1493899151',
          caller: '01632960123',
          type: 'External',
          ringtime: 5,
          billsecs: '120',
          detail: 'Answered',
          qtime: '12',
          qstatus: 'ANSWERED',
          ddi: '02079460123',
        },
      },
    }).calls[0]!;
    expect([
      c.call_id,
      c.direction,
      c.caller_e164,
      c.callee_ext,
      c.did,
      c.queue,
      c.queue_wait_seconds,
      c.disposition,
      c.vendor_status,
      c.talk_seconds,
    ]).toEqual([
      '31000',
      'inbound',
      '+441632960123',
      '500',
      '02079460123',
      '500',
      12,
      'answered',
      'Answered/ANSWERED',
      120,
    ]);
  });

  it('outbound external call with a cost in pence', () => {
    const c = run(
      {
        company: 'default',
        company_name: '',
        out: {
          device_id: '0004f2aabbcc0',
          name: 'Alice Archer',
          device: 'snom320-200',
          call: {
            acctid: 31001,
            calldate: 1493899151,
            type: 'Mobile',
            called_info: 'UK Mobile',
            called: '07700900123',
            dialled: '07700900123',
            billsecs: 75,
            ringtime: 9,
            cost: 17,
            trunk: 'SIPTRUNK1',
            cid: '02079460000',
          },
        },
      },
      {},
      { cost_divisor: 100 },
    ).calls[0]!;
    expect([
      c.direction,
      c.caller_e164,
      c.callee_e164,
      c.trunk,
      c.cost,
      c.currency,
      c.disposition,
      c.total_seconds,
    ]).toEqual(['outbound', '+442079460000', '+447700900123', 'SIPTRUNK1', '0.17', 'GBP', 'answered', 84]);
  });

  it('out-only with no talk time is no_answer; a missing cost (allcalls) is null', () => {
    const { cost: _c, ...call } = {
      ...outHalf.call,
      billsecs: 0,
      type: 'National',
      called: '01632960555',
      dialled: '01632960555',
    };
    const c = run({ company: 'd', company_name: '', out: { ...outHalf, call } }).calls[0]!;
    expect([c.direction, c.disposition, c.cost]).toEqual(['outbound', 'no_answer', null]);
  });

  const statusTable: [string, string, string, number, string][] = [
    // detail, qstatus, type, billsecs → disposition
    ['Not answered', '', 'External', 0, 'no_answer'],
    ['Answered', '', 'External', 20, 'answered'],
    ['Busy', '', 'Internal', 0, 'busy'],
    ['Not answered', 'ABANDONED', 'External', 0, 'abandoned'],
    ['Not answered', 'TIMEOUT', 'External', 0, 'abandoned'],
    ['', '', 'External', 9, 'answered'],
    ['', '', 'External', 0, 'no_answer'],
    ['Something new', '', 'External', 0, 'unknown'],
    ['  not ANSWERED ', '', 'External', 0, 'no_answer'],
  ];
  it.each(statusTable)(
    'detail %j, qstatus %j, type %s, billsecs %d → %s',
    (detail, qstatus, type, billsecs, expected) => {
      const call = { ...inHalf.call, detail, qstatus, type, billsecs };
      const c = run({ company: 'd', company_name: '', in: { ...inHalf, call } }).calls[0]!;
      expect(c.disposition).toBe(expected);
      expect(c.direction).toBe(type === 'Internal' ? 'internal' : 'inbound');
      expect(c.vendor_status).toBe([detail.trim(), qstatus].filter((s) => s !== '').join('/'));
    },
  );
});

describe('ipcortex normaliser: bad input becomes a dead letter with a reason', () => {
  const cases: [string, Buffer, Record<string, string>, string, RegExp][] = [
    ['not JSON', Buffer.from('{"acctid": '), {}, 'PARSE_ERROR', /not JSON/],
    ['a JSON array', json([1]), {}, 'UNSUPPORTED_PAYLOAD', /JSON object/],
    [
      'a lock answer',
      json({ result: 'retry', message: 'Another user has billing locked.' }),
      {},
      'UNSUPPORTED_PAYLOAD',
      /billing locked/,
    ],
    [
      'qtime not a number',
      json({ company: 'd', in: { ...inHalf, call: { ...inHalf.call, qtime: 'soon' } } }),
      {},
      'INVALID_VALUE',
      /qtime/,
    ],
    [
      'calldate missing',
      json({ company: 'd', in: { ...inHalf, call: { ...inHalf.call, calldate: undefined } } }),
      {},
      'INVALID_VALUE',
      /calldate/,
    ],
    [
      'calldate garbage',
      json({ company: 'd', in: { ...inHalf, call: { ...inHalf.call, calldate: 'yesterday' } } }),
      {},
      'INVALID_VALUE',
      /calldate/,
    ],
    [
      'billsecs empty',
      json({ company: 'd', in: { ...inHalf, call: { ...inHalf.call, billsecs: '' } } }),
      {},
      'INVALID_VALUE',
      /billsecs/,
    ],
    [
      'acctid missing',
      json({ company: 'd', out: { ...outHalf, call: { ...outHalf.call, acctid: null } } }),
      {},
      'INVALID_VALUE',
      /acctid/,
    ],
    ['halves disagree', json({ company: 'd', in: inHalf, out: outHalf }), {}, 'INVALID_VALUE', /27739.*26123/],
    [
      'cost not an amount',
      json({ company: 'd', out: { ...outHalf, call: { ...outHalf.call, cost: 'n/a' } } }),
      {},
      'INVALID_VALUE',
      /cost/,
    ],
    [
      'in without extension',
      json({ company: 'd', in: { name: 'x', call: inHalf.call } }),
      {},
      'INVALID_VALUE',
      /extension/,
    ],
    [
      'summary without month',
      json(OUTSUMMARY_EXAMPLE.values.default),
      { endpoint: 'outsummary', company: 'default' },
      'INVALID_VALUE',
      /month/,
    ],
    [
      'summary without cost',
      json({ name: 'X', seconds: 3, unknown: 0 }),
      { endpoint: 'outsummary', company: 'x', month: '2017-02' },
      'INVALID_VALUE',
      /cost: missing/,
    ],
    [
      'summary bad unknown',
      json({ name: 'X', cost: 1, seconds: 3, unknown: -1 }),
      { endpoint: 'outsummary', company: 'x', month: '2017-02' },
      'INVALID_VALUE',
      /unknown/,
    ],
    ['anything else', json({ hello: 'world' }), {}, 'UNSUPPORTED_PAYLOAD', /not an IPCortex/],
  ];
  it.each(cases)('%s', (_name, body, meta, code, message) => {
    let caught: unknown;
    try {
      normaliseIpcortex(body, 'application/json', testContext(meta));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CallhouseError);
    expect((caught as CallhouseError).code).toBe(code);
    expect((caught as CallhouseError).message).toMatch(message);
  });
});
