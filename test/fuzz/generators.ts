/**
 * Structure-aware generators of hostile vendor payloads: each vendor's own shape (field names
 * from the seeds and VENDORS.md) with random values, wrong types, huge numbers, odd Unicode and
 * duplicate keys, written as JSON by hand (so duplicates and number tokens JSON.stringify cannot
 * write survive), as form bodies, JSON inside a string, and CSV with odd quoting. `variants`
 * derives cheap further inputs from each (truncations, a flipped byte).
 */
import fc from 'fast-check';

export interface FuzzInput {
  body: Buffer;
  contentType: string;
  meta: Record<string, string>;
}

/** Text a parser should not trust: control characters, BOM, bidi marks, lone surrogates, emoji. */
const odd = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\uFEFF',
  '\u202E',
  '\uD800',
  '\uDC00x',
  '💥',
  'ﾟ',
  'Ω\u0301',
  '\r\n',
  '"',
  '\\',
  ',',
  ';',
  '=',
  '&',
  '%zz',
  '<1001>',
  'NaN',
  '-0',
  '1e309',
  '0x1F',
  '25:61:61',
  '12:00:00 PM',
  '13:00:00 AM',
  '2024-02-30 25:00:00',
  '1970-01-01 00:00:00',
  '9999-12-31 23:59:59',
  'ANSWERED',
  ' no answer ',
  'BUSY',
  'Inbound',
  'Outbound',
  'Internal',
  '__proto__',
  'constructor',
);

export const text = fc.oneof(
  { weight: 3, arbitrary: odd },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^\d{1,12}(\.\d{1,6})?$/) },
);

/** A JSON value as text, including number tokens JSON.stringify never writes. */
const hugeNumber = fc.constantFrom(
  '123456789012345678901234567890',
  '-99999999999999999999',
  '1e400',
  '-1e-400',
  '0.0000000000000000001',
  '9007199254740993',
  '-0',
  '1E+2',
);
const scalar: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: text.map((s) => JSON.stringify(s)) },
  { weight: 2, arbitrary: fc.integer({ min: -2_000_000_000, max: 4_000_000_000 }).map(String) },
  { weight: 1, arbitrary: hugeNumber },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)) },
  { weight: 1, arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '[null]', '{"":""}') },
);

/** A field: its expected value, a wrong one, or (in `object`) left out. */
export type Shape = Record<string, fc.Arbitrary<string>>;

const good = (a: fc.Arbitrary<string | number>): fc.Arbitrary<string> => a.map((v) => JSON.stringify(v));

/**
 * A JSON object of the shape: each field good, wrong or absent, some twice (a duplicate key
 * with another value), in a shuffled order.
 */
export function object(shape: Shape): fc.Arbitrary<string> {
  const fields = Object.entries(shape).map(([k, v]) =>
    fc
      .tuple(
        fc.oneof(
          { weight: 12, arbitrary: v },
          { weight: 1, arbitrary: scalar },
          { weight: 1, arbitrary: fc.constant(undefined) },
        ),
        fc.option(scalar, { freq: 30 }),
      )
      .map(([value, dup]) =>
        value === undefined
          ? []
          : dup === null
            ? [[k, value]]
            : [
                [k, value],
                [k, dup],
              ],
      ),
  );
  return fc
    .tuple(fc.tuple(...fields), fc.array(fc.tuple(text, scalar), { maxLength: 2 }), fc.nat())
    .map(([fs, extra, seed]) => {
      const pairs = [...fs.flat(), ...extra.map(([k, v]) => [JSON.stringify(k).slice(1, -1), v])] as string[][];
      // A deterministic shuffle by the seed.
      for (let i = pairs.length - 1; i > 0; i--) {
        const j = (seed + i * 7919) % (i + 1);
        [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
      }
      return `{${pairs.map(([k, v]) => `"${k}":${v}`).join(',')}}`;
    });
}

// Mostly well-formed, so that the paths that build records are fuzzed as much as the refusals.
const time = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .date({ min: new Date('1999-01-01'), max: new Date('2040-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 19).replace('T', ' ')),
  },
  { weight: 1, arbitrary: text },
);
const num = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 100_000 }).map(String) },
  { weight: 2, arbitrary: fc.stringMatching(/^\d{1,2}:\d{2}(:\d{2})?( [AP]M)?$/) },
  { weight: 1, arbitrary: text },
);
const phone = fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^\+?\d{3,15}$/) }, { weight: 1, arbitrary: text });
const status = fc.constantFrom(
  'ANSWERED',
  'NO ANSWER',
  'BUSY',
  'FAILED',
  'VOICEMAIL',
  'ANSWER',
  'NOANSWER',
  'CANCEL',
  'ABANDONED',
  'x',
);

const yeastarSCdr: Shape = {
  action: good(
    fc.constantFrom('NewCdr', 'RING', 'ALERT', 'ANSWER', 'ANSWERED', 'BYE', 'CallTransfer', 'DTMF', 'Unknown'),
  ),
  callid: good(fc.oneof(fc.stringMatching(/^\d{10}\.\d{1,5}$/), text)),
  timestart: good(time),
  callfrom: good(phone),
  callto: good(phone),
  callduraction: good(num),
  talkduraction: good(num),
  status: good(status),
  type: good(fc.constantFrom('Inbound', 'Outbound', 'Internal', 'Transfer', 'x')),
  srctrunkname: good(text),
  desttrunkname: good(text),
  recording: good(text),
  did: good(phone),
  ext: fc.oneof(object({ extid: good(phone) }), scalar),
  inbound: fc.oneof(object({ from: good(phone), to: good(phone), trunk: good(text) }), scalar),
  outbound: fc.oneof(object({ from: good(phone), to: good(phone), trunk: good(text), outboundid: good(text) }), scalar),
};

const yeastarPCdr: Shape = {
  call_id: good(fc.oneof(fc.stringMatching(/^\d{10}\.\d{1,4}$/), text)),
  time_start: good(time),
  call_from: good(phone),
  call_to: good(phone),
  call_duration: fc.oneof(fc.nat(100_000).map(String), good(num)),
  talk_duration: fc.oneof(fc.nat(100_000).map(String), good(num)),
  status: good(status),
  type: good(fc.constantFrom('Inbound', 'Outbound', 'Internal', 'x')),
  src_trunk_name: good(text),
  dst_trunk_name: good(text),
  recording: good(text),
  did_number: good(phone),
  uid: good(text),
  members: fc.oneof(
    fc
      .array(object({ extension: good(phone), member_status: good(status) }), { maxLength: 2 })
      .map((a) => `[${a.join(',')}]`),
    scalar,
  ),
};

const voicenterCdr: Shape = {
  CallerNumber: good(phone),
  TargetNumber: good(phone),
  Date: good(fc.oneof(time, fc.constant('2024-06-10T09:04:58Z'))),
  time: fc.oneof(fc.integer({ min: 0, max: 2_100_000_000 }).map(String), scalar),
  Duration: fc.oneof(fc.nat(100_000).map(String), scalar),
  duration: fc.oneof(fc.nat(100_000).map(String), scalar),
  CallID: good(text),
  ivruniqueid: good(text),
  Type: good(fc.constantFrom('Incoming', 'Extension Outgoing', 'Queue', 'x')),
  type: good(fc.constantFrom('Incoming', 'Outgoing', 'x')),
  CdrType: fc.oneof(fc.integer({ min: -1, max: 30 }).map(String), scalar),
  DialStatus: good(fc.constantFrom('ANSWER', 'NOANSWER', 'BUSY', 'CANCEL', 'VOEND', 'x')),
  status: good(status),
  RingTime: fc.oneof(fc.nat(300).map(String), scalar),
  Price: fc.oneof(fc.double({ min: 0, max: 1000, noNaN: true }).map(String), scalar),
  caller: good(phone),
  target: good(phone),
  DTMFData: fc.oneof(fc.constant('[]'), scalar),
  CustomData: fc.oneof(fc.constant('{}'), scalar),
};

const ipcortexCall: Shape = {
  acctid: fc.oneof(fc.nat().map(String), scalar),
  calldate: fc.oneof(fc.integer({ min: 0, max: 2_100_000_000 }).map(String), scalar),
  caller: good(phone),
  called: good(phone),
  dialled: good(phone),
  type: good(fc.constantFrom('Internal', 'External', 'Test Number', 'x')),
  ringtime: fc.oneof(fc.nat(300).map(String), scalar),
  billsecs: fc.oneof(fc.nat(100_000).map(String), scalar),
  detail: good(fc.constantFrom('Answered', 'Not answered', 'Busy', 'x')),
  qtime: good(text),
  qstatus: good(text),
  cost: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }).map(String), scalar),
};

/** A cell as a CSV writer might (or might not) quote it. */
const cell = fc.oneof(
  text,
  text.map((s) => `"${s.replace(/"/g, '""')}"`),
  text.map((s) => `"${s}`), // never closed
  text.map((s) => `a"${s}"b`), // quotes in the middle
  fc.constantFrom(
    '"a,b"',
    '"line\nbreak"',
    '""',
    '"""',
    ' "x" ',
    '\r',
    'ANSWERED',
    '2024-07-01 10:00:00',
    '64',
    '1719824400.1',
  ),
);

function csv(rows: number, cols: number, header?: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.array(fc.array(cell, { minLength: 1, maxLength: cols }), { maxLength: rows }),
      fc.constantFrom(',', ';', '\t'),
      fc.constantFrom('\n', '\r\n', '\r'),
      fc.boolean(),
    )
    .map(([rs, d, nl, bom]) => `${bom ? '\uFEFF' : ''}${header ?? ''}${rs.map((r) => r.join(d)).join(nl)}`);
}

const ypHeader = fc.constantFrom(
  'Extension Call Statistics\r\nTime: 03/10/2024 00:00:00 - 03/10/2024 23:59:59\r\n\r\nExtension Name,Extension Number,Answered Calls,Total Talking Time\r\n',
  'Time,Call From,Call To,Call Duration,Ring Duration,Talk Duration,Status,Reason,Source Trunk,Destination Trunk,Communication Type\r\n',
  '',
);

const json = (a: fc.Arbitrary<string>, meta: fc.Arbitrary<Record<string, string>> = fc.constant({})) =>
  fc
    .tuple(a, meta, fc.constantFrom('application/json', 'text/plain', ''))
    .map(([body, m, ct]): FuzzInput => ({ body: Buffer.from(body), contentType: ct, meta: m }));

/** Form encoding of a JSON object's text, or its fields, as a PBX may post it. */
const form = (a: fc.Arbitrary<string>) =>
  fc.tuple(a, fc.constantFrom('report', 'data', 'cdr', 'json')).map(([body, key]): FuzzInput => ({
    body: Buffer.from(`${key}=${encodeURIComponent(body)}&x=%zz&${key}=`),
    contentType: 'application/x-www-form-urlencoded',
    meta: {},
  }));

/** A Master.csv row (cdr_csv): 18 columns plus the configured extra ones, cells quoted or odd. */
const asteriskCell = (good: fc.Arbitrary<string>, quoted = true) =>
  fc.oneof(
    { weight: 12, arbitrary: good.map((g) => (quoted ? `"${g.replace(/"/g, '""')}"` : g)) },
    { weight: 1, arbitrary: cell },
  );
const asteriskRow = fc
  .tuple(
    asteriskCell(fc.constantFrom('', 'acct')),
    asteriskCell(phone),
    asteriskCell(phone),
    asteriskCell(fc.constantFrom('from-internal', 'from-trunk', 'default')),
    asteriskCell(
      fc.oneof(
        phone.map((p) => `"Alice" <${p}>`),
        text,
      ),
    ),
    asteriskCell(fc.constantFrom('PJSIP/1001-00000001', 'PJSIP/trunk-gb-0000000a', 'SIP/x', '')),
    asteriskCell(fc.constantFrom('PJSIP/1002-00000002', '', 'Local/1@x')),
    asteriskCell(fc.constantFrom('Dial', 'Queue', 'VoiceMail', 'Hangup')),
    asteriskCell(text),
    asteriskCell(time),
    asteriskCell(fc.oneof(time, fc.constant(''))),
    asteriskCell(time),
    asteriskCell(fc.nat(100_000).map(String), false),
    asteriskCell(fc.nat(100_000).map(String), false),
    asteriskCell(fc.constantFrom('ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CONGESTION', 'x')),
    asteriskCell(fc.constantFrom('DOCUMENTATION', 'BILLING', '3')),
    asteriskCell(fc.stringMatching(/^\d{10}\.\d{1,4}$/)),
    asteriskCell(text),
    asteriskCell(fc.stringMatching(/^\d{10}\.\d{1,4}$/)),
    asteriskCell(fc.nat(20).map(String)),
  )
  .map((cells) => cells.join(','));

export const VENDOR_INPUTS: Record<string, fc.Arbitrary<FuzzInput>> = {
  'yeastar-s': fc.oneof(
    json(object(yeastarSCdr)),
    form(object(yeastarSCdr)),
    json(fc.array(object(yeastarSCdr), { maxLength: 3 }).map((a) => `[${a.join(',')}]`)),
  ),
  'yeastar-p': fc.oneof(
    json(
      fc
        .tuple(fc.constantFrom(30011, 30012, 30013, 30014, 30016, 30020, 0, -1), object(yeastarPCdr), fc.boolean())
        .map(
          ([type, msg, asString]) =>
            `{"type":${type},"sn":"3631A2124XXX","msg":${asString ? JSON.stringify(msg) : msg}}`,
        ),
    ),
    fc
      .tuple(ypHeader, csv(6, 12), fc.constantFrom('extcallstatistics', 'cdr', 'queuecallstatistics', ''))
      .map(([h, body, rt]): FuzzInput => ({
        body: Buffer.from(h + body),
        contentType: 'text/csv',
        meta: rt
          ? { report_type: rt, period_start: '2024-03-09 23:00:00.000', period_end: '2024-03-10 23:00:00.000' }
          : {},
      })),
  ),
  voicenter: fc.oneof(
    json(
      object(voicenterCdr),
      fc.constantFrom<Record<string, string>>({}, { endpoint: 'cdr' }, { endpoint: 'notification' }),
    ),
    json(
      fc.array(object(voicenterCdr), { maxLength: 3 }).map((a) => `{"ERR":0,"CDR_LIST":[${a.join(',')}]}`),
      fc.constant({ endpoint: 'cdr' }),
    ),
    json(object(voicenterCdr).map((o) => JSON.stringify(o))), // JSON inside a string
    form(object(voicenterCdr)),
  ),
  ipcortex: json(
    fc
      .tuple(
        text,
        fc.array(object(ipcortexCall), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('"success"', '"success"', '"success"', '"success"', '"error"', 'null'),
      )
      .map(
        ([ext, calls, result]) =>
          `{"result":${result},"values":{${JSON.stringify(ext)}:{"name":"x","calls":[${calls.join(',')}]}}}`,
      ),
    fc.constantFrom<Record<string, string>>(
      { endpoint: 'allcalls' },
      { endpoint: 'incalls' },
      { endpoint: 'outcalls' },
      { endpoint: 'outsummary', company: 'acme', month: '2024-05' },
      {},
    ),
  ),
  asterisk: fc
    .oneof(
      { weight: 4, arbitrary: fc.array(asteriskRow, { minLength: 1, maxLength: 4 }).map((r) => r.join('\n')) },
      { weight: 1, arbitrary: csv(4, 22) },
    )
    .map((body): FuzzInput => ({ body: Buffer.from(body), contentType: 'text/csv', meta: {} })),
};

/**
 * Cheap further inputs from one, as a body cut short in transit or damaged: cut at seven places,
 * and two bytes flipped (ten inputs in all).
 */
export function variants(input: FuzzInput, seed: number): FuzzInput[] {
  const b = input.body;
  const out = [input];
  for (const f of [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
    out.push({ ...input, body: b.subarray(0, Math.floor(b.length * f)) });
  for (const k of [seed, seed * 31 + 7]) {
    const flipped = Buffer.from(b.length > 0 ? b : '{');
    const at = k % flipped.length;
    flipped[at] = flipped[at]! ^ (1 << (k % 8));
    out.push({ ...input, body: flipped });
  }
  return out;
}
