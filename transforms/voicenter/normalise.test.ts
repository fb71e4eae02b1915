import { describe, expect, it } from 'vitest';
import { normaliseVoicenter } from './normalise.js';
import { testConfig, testContext } from './test-context.js';
import { CallhouseError } from '../../runtime/errors.js';

const run = (body: unknown, meta: Record<string, string> = {}, contentType = 'application/json') =>
  normaliseVoicenter(
    Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8'),
    contentType,
    testContext(meta),
  ).calls;
const one = (body: unknown, meta: Record<string, string> = {}, contentType?: string) => {
  const calls = run(body, meta, contentType);
  expect(calls).toHaveLength(1);
  return calls[0]!;
};
const errorOf = (fn: () => unknown): CallhouseError => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CallhouseError);
    return e as CallhouseError;
  }
  throw new Error('expected a CallhouseError');
};

// VENDORS.md §4, Call Log response item [C-VoicenterTeam].
const API_SAMPLE = {
  CallerNumber: '0722776772',
  TargetNumber: '972501234567',
  Date: '2024-06-10T09:04:58Z',
  Duration: 2,
  CallID: '202406101204550233243ghff3189e5c',
  CustomData: {},
  Type: 'Extension Outgoing',
  CdrType: 4,
  DialStatus: 'ANSWER',
  CallerExtension: 'SIPSIP1',
  DID: '',
  RecordURL: 'https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/2024061043950926.mp3',
  RingTime: 10,
  RepresentativeName: 'John Doe',
  RepresentativeCode: '87654321',
  DTMFData: [],
  DepartmentName: 'Sales',
};

// VENDORS.md §4, queue notification.
const QUEUE_NOTIFICATION = {
  caller: '0501234567',
  target: '',
  time: 1595333610,
  duration: 20,
  ivruniqueid: '202007211213270124c',
  type: 'Queue',
  status: 'ANSWER',
  did: '0722776772',
  queueid: 123456789,
  queuename: 'Sales Queue',
  record: 'https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/x.mp3',
  seconds_waiting_in_queue: 20,
  IVR: [
    {
      layer_id: 1234,
      layer_name: 'Main IVR',
      layer_number: 0,
      Dtmf: 2,
      dtmf_order: 1,
    },
  ],
};

// VoicenterWebSDK CdrRequest.json: IVR as a JSON string, Hebrew layer name, price 0.0.
const SDK_NOTIFICATION = `{
  "caller": "0546666666", "target": "972702246666", "time": 1580846139, "duration": 38,
  "ivruniqueid": "2020020419500000000000000000", "type": "Incoming Call", "status": "ANSWER",
  "targetextension": "", "callerextension": "", "did": "0702246666", "queueid": 0, "queuename": "",
  "record": "http://starkey-centrex-recordings.s3.amazonaws.com/2020020419500000000000000000-aws-0546666666-0702246666.mp3",
  "price": 0.0, "dialtime": 33, "representative_name": "External IVR", "representative_code": "",
  "targetextension_name": "", "callerextension_name": "", "target_country": "Israel", "caller_country": "Israel",
  "IVR": "[{\\"layer_id\\":8851,\\"layer_name\\":\\"1 אבן גבירול\\",\\"layer_number\\":2,\\"Dtmf\\":0,\\"dtmf_order\\":11}]"
}`;

// voicenter-api cdr-notification skill: outgoing call example.
const OUTGOING_NOTIFICATION = {
  caller: '0722776772',
  target: '0501234567',
  time: 1595960350,
  duration: 11,
  ivruniqueid: '2020072818dcDHFJcc804',
  type: 'Extension Outgoing',
  status: 'ANSWER',
  callerextension: 'SIPSIP',
  did: '',
  queueid: 0,
  queuename: '',
  record: 'https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/2020072818dcDHFJcc804-aws.mp3',
  price: 0,
  dialtime: 2,
  representative_name: 'John Doe',
  representative_code: '12345678',
  DepartmentID: 12345678,
  DepartmentName: 'Voicenter Sales',
};

describe('voicenter normaliser: documented samples', () => {
  it('maps the Call Log sample to every canonical column', () => {
    expect(one(API_SAMPLE, { endpoint: 'cdr' })).toEqual({
      tenant: 'vc-test',
      source: 'voicenter',
      connector_id: 'vc-test',
      call_id: '202406101204550233243ghff3189e5c',
      parent_call_id: '',
      leg: 0,
      started_at: '2024-06-10 09:04:58.000',
      started_local: '2024-06-10 12:04:58.000',
      answered_at: '2024-06-10 09:05:08.000',
      ended_at: '2024-06-10 09:05:10.000',
      direction: 'outbound',
      caller: '0722776772',
      callee: '972501234567',
      caller_e164: '+972722776772',
      callee_e164: '+972501234567',
      caller_ext: 'SIPSIP1',
      callee_ext: '',
      trunk: '',
      did: '',
      queue: '',
      agent: 'John Doe',
      disposition: 'answered',
      vendor_status: 'ANSWER',
      vendor_type: 'Extension Outgoing',
      ring_seconds: 10,
      talk_seconds: 2,
      total_seconds: 12,
      queue_wait_seconds: null,
      cost: null,
      currency: 'ILS',
      recording: 'https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/2024061043950926.mp3',
      ingested_at: '2024-06-10 12:00:00.000',
    });
  });

  it('reads the queue notification: duration is the conversation only (seed 003), the wait apart', () => {
    expect(one(QUEUE_NOTIFICATION)).toMatchObject({
      call_id: '202007211213270124c',
      started_at: '2020-07-21 12:13:30.000',
      started_local: '2020-07-21 15:13:30.000',
      direction: 'inbound',
      caller: '0501234567',
      caller_e164: '+972501234567',
      callee: '',
      callee_e164: '',
      did: '0722776772',
      queue: 'Sales Queue',
      disposition: 'answered',
      vendor_type: 'Queue',
      talk_seconds: 20,
      ring_seconds: 0,
      queue_wait_seconds: 20,
      // no dialtime: the answer instant is unknown, not guessed
      answered_at: null,
      ended_at: null,
      cost: null,
    });
  });

  it('reads the SDK sample with IVR as a JSON string and price 0.0', () => {
    expect(one(SDK_NOTIFICATION)).toMatchObject({
      call_id: '2020020419500000000000000000',
      started_at: '2020-02-04 19:55:39.000',
      started_local: '2020-02-04 21:55:39.000',
      direction: 'inbound',
      caller_e164: '+972546666666',
      callee_e164: '+972702246666',
      did: '0702246666',
      agent: 'External IVR',
      talk_seconds: 38,
      ring_seconds: 33,
      total_seconds: 71,
      answered_at: '2020-02-04 19:56:12.000',
      ended_at: '2020-02-04 19:56:50.000',
      cost: '0',
      queue_wait_seconds: null,
    });
  });

  it('reads the outgoing notification sample', () => {
    expect(one(OUTGOING_NOTIFICATION)).toMatchObject({
      call_id: '2020072818dcDHFJcc804',
      started_at: '2020-07-28 18:19:10.000',
      direction: 'outbound',
      caller_e164: '+972722776772',
      callee_e164: '+972501234567',
      caller_ext: 'SIPSIP',
      talk_seconds: 11,
      ring_seconds: 2,
      cost: '0',
      agent: 'John Doe',
    });
  });
});

describe('voicenter normaliser: field variants', () => {
  const base = {
    CallID: 'C1',
    Date: '2024-01-15T10:00:00Z',
    Type: 'Incoming Call',
    DialStatus: 'ANSWER',
    Duration: 30,
    RingTime: 5,
  };

  it.each([
    ['Price 7 agorot', { Price: 7 }, { cost: '0.07' }],
    ['Price 4350 agorot', { Price: 4350 }, { cost: '43.5' }],
    ['Price as text', { Price: '125' }, { cost: '1.25' }],
    ['fractional agorot', { Price: 12.5 }, { cost: '0.125' }],
    [
      'a SIP code as target',
      { TargetNumber: 'AAPINFzL' },
      { callee: 'AAPINFzL', callee_ext: 'AAPINFzL', callee_e164: '' },
    ],
    ['response casing TargetExtension', { TargetExtension: 'EXT7' }, { callee_ext: 'EXT7' }],
    [
      'request casing Targetextension',
      { Targetextension: 'EXT8', Callerextension: 'EXT9' },
      { callee_ext: 'EXT8', caller_ext: 'EXT9' },
    ],
    [
      'legacy local Date format (read as UTC)',
      { Date: '2024-01-15 10:00:00' },
      { started_at: '2024-01-15 10:00:00.000' },
    ],
    ['DateEpoch wins over Date', { DateEpoch: 1705312861 }, { started_at: '2024-01-15 10:01:01.000' }],
    ['international number', { CallerNumber: '972501234567' }, { caller_e164: '+972501234567' }],
    ['local mobile number', { CallerNumber: '0501234567' }, { caller_e164: '+972501234567' }],
    [
      'Hebrew names stay intact',
      { RepresentativeName: 'ישראל ישראלי', QueueName: 'תור מכירות' },
      { agent: 'ישראל ישראלי', queue: 'תור מכירות' },
    ],
    [
      'OriginalIvrUniqueID inside CustomData',
      { CustomData: { OriginalIvrUniqueID: 'ORIG1' } },
      { parent_call_id: 'ORIG1' },
    ],
    ['CustomData as a JSON string', { CustomData: '{"OriginalIvrUniqueID":"ORIG2"}' }, { parent_call_id: 'ORIG2' }],
    ['OriginalIvrUniqueID equal to its own id is no parent', { OriginalIvrUniqueID: 'C1' }, { parent_call_id: '' }],
    ['no status: talk decides', { DialStatus: undefined }, { disposition: 'answered', vendor_status: '' }],
    ['no status, no talk', { DialStatus: undefined, Duration: 0 }, { disposition: 'no_answer' }],
    [
      'no status, no duration field',
      { DialStatus: undefined, Duration: undefined },
      { disposition: 'unknown', talk_seconds: 0 },
    ],
    ['unknown status is kept', { DialStatus: 'WEIRD' }, { disposition: 'unknown', vendor_status: 'WEIRD' }],
  ])('%s', (_name, extra, expected) => {
    expect(one({ ...base, ...extra }, { endpoint: 'cdr' })).toMatchObject(expected);
  });

  it.each([
    [
      'actualCallDuration is talk',
      { duration: 80, actualCallDuration: 50, seconds_waiting_in_queue: 30 },
      { talk_seconds: 50, queue_wait_seconds: 30 },
    ],
    [
      'duration is talk, the wait is not taken from it (seed 003)',
      { duration: 80, seconds_waiting_in_queue: 30 },
      { talk_seconds: 80, queue_wait_seconds: 30 },
    ],
    ['actualCallDialtime is ring', { duration: 10, actualCallDialtime: 4, dialtime: 9 }, { ring_seconds: 4 }],
    ['top-level OriginalIvrUniqueID', { duration: 10, OriginalIvrUniqueID: 'P9' }, { parent_call_id: 'P9' }],
    ['isAnswer without status', { duration: 10, status: '', isAnswer: '0' }, { disposition: 'no_answer' }],
    [
      'time as text (form)',
      { time: '1595333610', duration: '20' },
      { started_at: '2020-07-21 12:13:30.000', talk_seconds: 20 },
    ],
    [
      'direction field for an unknown type',
      { duration: 1, type: 'Mystery', direction: 'outgoing' },
      { direction: 'outbound', vendor_type: 'Mystery' },
    ],
    [
      'Click2Callleg1 spelled without a space',
      { duration: 0, type: 'Click2Callleg1' },
      { leg: 1, parent_call_id: 'N1', vendor_type: 'Click2Call leg1' },
    ],
  ])('notification: %s', (_name, extra, expected) => {
    expect(
      one({
        ivruniqueid: 'N1',
        time: 1700000000,
        type: 'Queue',
        status: 'ANSWER',
        ...extra,
      }),
    ).toMatchObject(expected);
  });

  it('reads a whole Call Log response (CDR_LIST) as several calls', () => {
    const calls = run({
      ERROR_NUMBER: 0,
      TOTAL_HITS: 2,
      RETURN_HITS: 2,
      CDR_LIST: [API_SAMPLE, { ...API_SAMPLE, CallID: 'X2' }],
    });
    expect(calls.map((c) => c.call_id)).toEqual(['202406101204550233243ghff3189e5c', 'X2']);
  });
});

describe('voicenter normaliser: body encodings', () => {
  const n = {
    ivruniqueid: 'F1',
    time: '1595333610',
    duration: '20',
    type: 'Incoming Call',
    status: 'NOANSWER',
    caller: '0501234567',
    representative_name: 'דנה כהן',
  };
  const expected = {
    call_id: 'F1',
    started_at: '2020-07-21 12:13:30.000',
    disposition: 'no_answer',
    direction: 'inbound',
    agent: 'דנה כהן',
    caller_e164: '+972501234567',
  };

  it('x-www-form-urlencoded', () => {
    expect(one(new URLSearchParams(n).toString(), {}, 'application/x-www-form-urlencoded')).toMatchObject(expected);
  });
  it('JSON inside one form field', () => {
    expect(one(`data=${encodeURIComponent(JSON.stringify(n))}`, {}, 'application/x-www-form-urlencoded')).toMatchObject(
      expected,
    );
  });
  it('JSON inside a JSON string', () => {
    expect(one(JSON.stringify(JSON.stringify(n)), {}, 'text/plain')).toMatchObject(expected);
  });
  it('JSON sent with a form content type', () => {
    expect(one(JSON.stringify(n), {}, 'application/x-www-form-urlencoded')).toMatchObject(expected);
  });
  it('UTF-8 BOM', () => {
    expect(one(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(n))]))).toMatchObject(
      expected,
    );
  });
  it('XML-RPC is a clear UNSUPPORTED_PAYLOAD', () => {
    const xml =
      '<?xml version="1.0"?><methodCall><methodName>cdr</methodName><params><param><value><struct><member><name>ivruniqueid</name><value><string>X1</string></value></member></struct></value></param></params></methodCall>';
    const e = errorOf(() => run(xml, {}, 'text/xml'));
    expect(e.code).toBe('UNSUPPORTED_PAYLOAD');
    expect(e.message).toMatch(/XML-RPC/);
  });
});

describe('voicenter normaliser: bad input is a dead letter with a reason', () => {
  it.each([
    ['empty body', '', 'PARSE_ERROR', /empty body/],
    ['not JSON', '{"CallID":', 'PARSE_ERROR', /not JSON/],
    ['plain text declared as JSON', 'hello world', 'PARSE_ERROR', /not JSON/],
    ['a JSON number', '42', 'PARSE_ERROR', /not a CDR object/],
    ['no call id', { Date: '2024-01-01T00:00:00Z' }, 'INVALID_VALUE', /CallID\/ivruniqueid: missing/],
    ['no time', { CallID: 'A' }, 'INVALID_VALUE', /Date\/time: missing/],
    ['bad Date', { CallID: 'A', Date: 'yesterday' }, 'INVALID_VALUE', /Date: not a time/],
    [
      'bad Duration',
      { CallID: 'A', Date: '2024-01-01T00:00:00Z', Duration: 'long' },
      'INVALID_VALUE',
      /Duration: not a duration/,
    ],
    [
      'negative RingTime',
      { CallID: 'A', Date: '2024-01-01T00:00:00Z', RingTime: -3 },
      'INVALID_VALUE',
      /ring time: not a duration/,
    ],
    [
      'bad Price',
      { CallID: 'A', Date: '2024-01-01T00:00:00Z', Price: 'free' },
      'INVALID_VALUE',
      /Price: not an amount/,
    ],
    ['bad notification time', { ivruniqueid: 'A', time: 'now' }, 'INVALID_VALUE', /time: not a time/],
  ])('%s', (_name, body, code, message) => {
    const e = errorOf(() => run(body));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });
});

it('plain text that is not a form is a PARSE_ERROR', () => {
  const e = errorOf(() => run('hello world', {}, 'text/plain'));
  expect(e.code).toBe('PARSE_ERROR');
  expect(e.message).toBe('body is neither JSON nor form-encoded');
});

describe('voicenter normaliser: config', () => {
  it('uses the connector country and zone', () => {
    const ctx = testContext({}, testConfig({ country: 'GB', timezone: 'Europe/London' }));
    const [call] = normaliseVoicenter(
      Buffer.from(JSON.stringify({ ...API_SAMPLE, TargetNumber: '02079460000' })),
      'application/json',
      ctx,
    ).calls;
    expect(call).toMatchObject({
      callee_e164: '+442079460000',
      started_local: '2024-06-10 10:04:58.000',
    });
  });
});
