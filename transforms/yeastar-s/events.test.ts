/** Every report sample of the seed and VENDORS.md §1 → its exact call_events row. */
import { describe, expect, it } from 'vitest';
import { normaliseYeastarS } from './normalise.js';
import { RECEIVED_AT, testContext } from './test-context.js';

const run = (body: string) => normaliseYeastarS(Buffer.from(body), 'application/json', testContext());

interface Expected {
  call_id: string;
  event_type: string;
  vendor_action: string;
  parties: string[];
  from?: string;
  to?: string;
  trunk?: string;
  info?: string;
}

const SAMPLES: Array<[string, string, Expected]> = [
  // seed: Ringing, internal
  [
    'RING internal (v1 duplicate keys)',
    '{"action":"RING","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}',
    { call_id: '1495706238.328', event_type: 'ring', vendor_action: 'RING', parties: ['1000', '1002'] },
  ],
  [
    'RING external',
    '{"action":"RING","callid":"1495771030.365","outbound":{"from":"1002","to":"42003","trunk":"sip-142","outboundid":"1495771030.366"},"ext":{"extid":"1002"}}',
    {
      call_id: '1495771030.365',
      event_type: 'ring',
      vendor_action: 'RING',
      parties: ['42003', '1002'],
      from: '1002',
      to: '42003',
      trunk: 'sip-142',
    },
  ],
  [
    'ALERT',
    '{"action":"ALERT","callid":"1495706238.328","ext":{"extid":"1002"}}',
    { call_id: '1495706238.328', event_type: 'ringback', vendor_action: 'ALERT', parties: ['1002'] },
  ],
  [
    'RI (the guide\'s "Answer a Call" sample: a cut-short ANSWER, kept as sent)',
    '{"action":"RI","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}',
    { call_id: '1495706238.328', event_type: 'answer', vendor_action: 'RI', parties: ['1000', '1002'] },
  ],
  [
    'ANSWERED',
    '{"action":"ANSWERED","callid":"1495706238.328","ext":{"extid":"1002"},"ext":{"extid":"1000"}}',
    { call_id: '1495706238.328', event_type: 'answered', vendor_action: 'ANSWERED', parties: ['1002', '1000'] },
  ],
  [
    'BYE',
    '{"action":"BYE","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}',
    { call_id: '1495706238.328', event_type: 'hangup', vendor_action: 'BYE', parties: ['1000', '1002'] },
  ],
  [
    'Tranfer (sic)',
    '{"action":"Tranfer","callid":"1494834266.75","inbound":{"from":"3009","to":"2002","trunk":"DIGIT1","inboundid":"1494834266.75"}}',
    {
      call_id: '1494834266.75',
      event_type: 'transfer',
      vendor_action: 'Tranfer',
      parties: ['3009'],
      from: '3009',
      to: '2002',
      trunk: 'DIGIT1',
    },
  ],
  [
    'Transfer',
    '{"action":"Transfer","callid":"1494834266.75","ext":{"extid":"2002"}}',
    { call_id: '1494834266.75', event_type: 'transfer', vendor_action: 'Transfer', parties: ['2002'] },
  ],
  [
    'CallFailed restriction',
    '{"action":"CallFailed","reason":"NO Outbound Restriction","callid":"1495420603.349"}',
    {
      call_id: '1495420603.349',
      event_type: 'failed',
      vendor_action: 'CallFailed',
      parties: [],
      info: 'NO Outbound Restriction',
    },
  ],
  [
    'CallFailed DND',
    '{"action":"CallFailed","reason":"DND","callid":"1495186077.229","ext":{"extid":"1005"}}',
    { call_id: '1495186077.229', event_type: 'failed', vendor_action: 'CallFailed', parties: ['1005'], info: 'DND' },
  ],
  [
    'CallFailed no trunk',
    '{"action":"CallFailed","reason":"Line unreachable","callid":"1495184155.216","ext":{"extid":"1002"}}',
    {
      call_id: '1495184155.216',
      event_type: 'failed',
      vendor_action: 'CallFailed',
      parties: ['1002'],
      info: 'Line unreachable',
    },
  ],
  [
    'CallFailed busy',
    '{"action":"CallFailed","reason":"User busy","callid":"1495770583.355"}',
    { call_id: '1495770583.355', event_type: 'failed', vendor_action: 'CallFailed', parties: [], info: 'User busy' },
  ],
  [
    'CallFailed integer reason (OpenVox)',
    '{"action":"CallFailed","reason":480,"callid":"1495770583.356"}',
    { call_id: '1495770583.356', event_type: 'failed', vendor_action: 'CallFailed', parties: [], info: '480' },
  ],
  [
    'Invite',
    '{"action":"Invite","callid":"1495707950.331","inbound":{"from":"1000","to":"1002","trunk":"sip-142","inboundid":"1495707950.331"}}',
    {
      call_id: '1495707950.331',
      event_type: 'invite',
      vendor_action: 'Invite',
      parties: ['1000'],
      from: '1000',
      to: '1002',
      trunk: 'sip-142',
    },
  ],
  [
    'Incoming',
    '{"action":"Incoming","callid":"1495707950.331","inbound":{"from":"1000","to":"1002","trunk":"sip-142","inboundid":"1495707950.331"}}',
    {
      call_id: '1495707950.331',
      event_type: 'incoming',
      vendor_action: 'Incoming',
      parties: ['1000'],
      from: '1000',
      to: '1002',
      trunk: 'sip-142',
    },
  ],
  [
    'DTMF (the seed writes the key as \\#)',
    '{"action":"DTMF","callid":"1495705009.315","outbound":{"from":"1002","to":"41000","trunk":"SIP-142","outboundid":"1495705009.316"},"info":"\\#"}',
    {
      call_id: '1495705009.315',
      event_type: 'dtmf',
      vendor_action: 'DTMF',
      parties: ['41000'],
      from: '1002',
      to: '41000',
      trunk: 'SIP-142',
      info: '#',
    },
  ],
  [
    'PlayPromptEnd',
    '{"action":"PlayPromptEnd","callid":"1495780325.384","ext":{"extid":"1002"},"prompt":"111"}',
    {
      call_id: '1495780325.384',
      event_type: 'prompt_end',
      vendor_action: 'PlayPromptEnd',
      parties: ['1002'],
      info: '111',
    },
  ],
  [
    'satisfaction',
    '{"action":"satisfaction","callid":"1495780325.385","surveyresult":"2"}',
    { call_id: '1495780325.385', event_type: 'survey', vendor_action: 'satisfaction', parties: [], info: '2' },
  ],
  // VENDORS.md §1: the 1.0.2 `call` array
  [
    'ANSWER 1.0.2 call array',
    '{"action":"ANSWER","callid":"1547375509.72","call":[{"ext":{"extid":"1005"}},{"inbound":{"from":"3834847222","to":"1005","trunk":"SPS-6-36","inboundid":"1547375509.72"}}],"sn":"369362089179"}',
    {
      call_id: '1547375509.72',
      event_type: 'answer',
      vendor_action: 'ANSWER',
      parties: ['1005', '3834847222'],
      from: '3834847222',
      to: '1005',
      trunk: 'SPS-6-36',
    },
  ],
  [
    'ANSWER legacy',
    '{"action":"ANSWER","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}',
    { call_id: '1495706238.328', event_type: 'answer', vendor_action: 'ANSWER', parties: ['1000', '1002'] },
  ],
  [
    'OpenVox extid array',
    '{"action":"BYE","callid":"1600000000.1","ext":{"extid":["101","106"]}}',
    { call_id: '1600000000.1', event_type: 'hangup', vendor_action: 'BYE', parties: ['101', '106'] },
  ],
  [
    'v2 event + members',
    '{"event":"ANSWERED","callid":"1700000000.12","members":[{"ext":{"number":"1001","channelid":"PJSIP/1001-0001","memberstatus":"ANSWERED"}},{"outbound":{"from":"1001","to":"02079460018","trunkname":"BT-SIP","channelid":"PJSIP/BT-0002"}}],"sn":"369362089179"}',
    {
      call_id: '1700000000.12',
      event_type: 'answered',
      vendor_action: 'ANSWERED',
      parties: ['1001', '02079460018'],
      from: '1001',
      to: '02079460018',
      trunk: 'BT-SIP',
    },
  ],
  [
    'v2 DTMF with infos and flag',
    '{"event":"DTMF","callid":"1700000000.13","members":[{"inbound":{"from":"447700900123","to":"6000","trunkname":"BT-SIP","channelid":"c1"}}],"info":"3","infos":"123","flag":"3"}',
    {
      call_id: '1700000000.13',
      event_type: 'dtmf',
      vendor_action: 'DTMF',
      parties: ['447700900123'],
      from: '447700900123',
      to: '6000',
      trunk: 'BT-SIP',
      info: '3',
    },
  ],
  [
    'PlayPromptEnd on an outbound trunk',
    '{"action":"PlayPromptEnd","callid":"1700000000.14","outbound":{"from":"1001","to":"5551234567","trunkname":"SIP1"},"prompt":"welcome"}',
    {
      call_id: '1700000000.14',
      event_type: 'prompt_end',
      vendor_action: 'PlayPromptEnd',
      parties: ['5551234567'],
      from: '1001',
      to: '5551234567',
      trunk: 'SIP1',
      info: 'welcome',
    },
  ],
  [
    'ExtensionStatus (system, no callid)',
    '{"action":"ExtensionStatus","extension":"1000","status":"Registered","sn":"369362089179"}',
    { call_id: '', event_type: 'other', vendor_action: 'ExtensionStatus', parties: [], info: 'Registered' },
  ],
  [
    'BootUp',
    '{"action":"BootUp","sn":"369362089179"}',
    { call_id: '', event_type: 'other', vendor_action: 'BootUp', parties: [] },
  ],
];

describe('yeastar-s reports → call_events', () => {
  it.each(SAMPLES)('%s', (_name, body, want) => {
    const out = run(body);
    expect(out.calls).toEqual([]);
    expect(out.events).toHaveLength(1);
    const e = out.events[0]!;
    expect({
      call_id: e.call_id,
      event_type: e.event_type,
      vendor_action: e.vendor_action,
      parties: e.parties,
      from: e.from,
      to: e.to,
      trunk: e.trunk,
      info: e.info,
    }).toEqual({ from: '', to: '', trunk: '', info: '', ...want });
    expect(e).toMatchObject({ tenant: 'acme', source: 'yeastar-s', connector_id: 'hq-pbx', event_at: RECEIVED_AT });
  });

  it.each([
    '404 NOT found',
    '480 Temporarily unavailable',
    '484 Address Incomplete',
    '486 Busy Here',
    '487 Request Terminated',
    '603 Declined',
  ])('keeps the SIP reason %j as free text', (reason) => {
    const e = run(JSON.stringify({ action: 'CallFailed', callid: '1700000000.2', reason })).events[0]!;
    expect([e.event_type, e.info]).toEqual(['failed', reason]);
  });

  it('maps actions whatever their case', () => {
    expect(run('{"action":"bye","callid":"1.1"}').events[0]!.event_type).toBe('hangup');
    expect(
      run(
        '{"action":"NEWCDR","callid":"1495779310.371","timestart":"2017-05-25 22:15:10","callduraction":"3","talkduraction":"2","status":"ANSWERED","type":"Internal"}',
      ).events[0]!.event_type,
    ).toBe('cdr');
  });

  it('a resent identical report has the same event_key, whitespace aside', () => {
    const a = run('{"action":"BYE","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}')
      .events[0]!;
    const b = run(
      '{ "action": "BYE", "callid": "1495706238.328",\n "ext": {"extid": "1000"}, "ext": {"extid": "1002"} }',
    ).events[0]!;
    expect(b.event_key).toBe(a.event_key);
  });

  it('two BYE reports listing the parties in another order have different keys', () => {
    const a = run('{"action":"BYE","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}')
      .events[0]!;
    const b = run('{"action":"BYE","callid":"1495706238.328","ext":{"extid":"1002"},"ext":{"extid":"1000"}}')
      .events[0]!;
    expect(b.parties).toEqual(['1002', '1000']);
    expect(b.event_key).not.toBe(a.event_key);
  });

  it('keys are per connector, and a system report recurring later is a new event', () => {
    const status = '{"action":"ExtensionStatus","extension":"1000","status":"Registered"}';
    const key = (body: string, over: { id?: string; received_at?: string } = {}) => {
      const ctx = {
        ...testContext(over.id ? { id: over.id } : {}),
        ...(over.received_at ? { received_at: over.received_at } : {}),
      };
      return normaliseYeastarS(Buffer.from(body), 'application/json', ctx).events[0]!.event_key;
    };
    expect(key(status)).toBe(key(status));
    expect(key(status, { received_at: '2024-06-02 12:00:00.000' })).not.toBe(key(status));
    const bye = '{"action":"BYE","callid":"1.5","ext":{"extid":"1000"}}';
    expect(key(bye, { received_at: '2024-06-02 12:00:00.000' })).toBe(key(bye));
    expect(key(bye, { id: 'branch-pbx' })).not.toBe(key(bye));
  });

  it('a report without action or event is UNSUPPORTED_PAYLOAD', () => {
    expect(() => run('{"callid":"1.2","ext":{"extid":"1000"}}')).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_PAYLOAD', message: 'report has neither "action" nor "event"' }),
    );
  });
});
