import { describe, expect, it } from 'vitest';
import { CallhouseError } from '../../runtime/errors.js';
import { normaliseYeastarS } from '../../transforms/yeastar-s/normalise.js';
import { testContext } from '../../transforms/yeastar-s/test-context.js';
import { yeastarSConfigSchema } from './config.js';
import { yeastarS } from './index.js';

const config = yeastarSConfigSchema.parse({ id: 'hq-pbx', type: 'yeastar-s', timezone: 'Etc/GMT+8' });
const accept = (body: string, type = 'application/json') => yeastarS.ingest!.accept(Buffer.from(body), type, config);
const BYE = '{"action":"BYE","callid":"1495706238.328","ext":{"extid":"1000"},"ext":{"extid":"1002"}}';
const eventOf = (body: Buffer | string, type = 'application/json') =>
  normaliseYeastarS(Buffer.isBuffer(body) ? body : Buffer.from(body), type, testContext()).events;

describe('yeastar-s ingest.accept', () => {
  it('passes a JSON report on unchanged, keyed by callid', () => {
    const body = Buffer.from(BYE);
    const [p, ...rest] = yeastarS.ingest!.accept(body, 'application/json', config);
    expect(rest).toEqual([]);
    expect(p).toEqual({ key: '1495706238.328', body, content_type: 'application/json', meta: {} });
  });

  it('reads a form field holding the JSON, and the normaliser reads it the same', () => {
    const form = `report=${encodeURIComponent(BYE)}`;
    const [p] = accept(form, 'application/x-www-form-urlencoded');
    expect(p!.key).toBe('1495706238.328');
    expect(p!.body.toString()).toBe(form);
    expect(eventOf(p!.body, p!.content_type)).toEqual(eventOf(BYE));
  });

  it('reads JSON encoded inside a JSON string (twice, too)', () => {
    for (const wrapped of [JSON.stringify(BYE), JSON.stringify(JSON.stringify(BYE))]) {
      const [p] = accept(wrapped, 'text/plain');
      expect(p!.key).toBe('1495706238.328');
      expect(eventOf(p!.body)).toEqual(eventOf(BYE));
    }
  });

  it('splits an array of reports, each keeping its exact text and duplicate keys', () => {
    const second =
      '{"action":"NewCdr","callid":"1495779310.371","timestart":"2017-05-25 22:15:10","callfrom":"1002","callto":"1000","callduraction":"3","talkduraction":"2","status":"ANSWERED","type":"Internal"}';
    const payloads = accept(`[ ${BYE} ,\n${second}, {"action":"ExtensionStatus","status":"Idle"}]`, 'text/plain');
    expect(payloads.map((p) => [p.key, p.body.toString(), p.content_type])).toEqual([
      ['1495706238.328', BYE, 'application/json'],
      ['1495779310.371', second, 'application/json'],
      ['', '{"action":"ExtensionStatus","status":"Idle"}', 'application/json'],
    ]);
    expect(eventOf(payloads[0]!.body)[0]!.parties).toEqual(['1000', '1002']);
  });

  it('tolerates a BOM and surrounding whitespace', () => {
    expect(accept(`\ufeff\n ${BYE}\n`)[0]!.key).toBe('1495706238.328');
  });

  it.each([
    ['', 'not a Yeastar report: empty body'],
    ['hello', 'not a Yeastar report: neither JSON nor a form'],
    ['a=b&c=d', 'not a Yeastar report: form body has no field holding JSON'],
    ['{"action":', 'body is not JSON: unexpected end of input at offset 10'],
    ['42', 'not a Yeastar report: neither JSON nor a form'],
    ['"just text"', 'not a Yeastar report: neither JSON nor a form'],
    ['[]', 'not a Yeastar report: an empty array holds no report'],
    ['[{"action":"BYE"},7]', 'not a Yeastar report: array element 1 is a number, not a report object'],
    ['null', 'not a Yeastar report: neither JSON nor a form'],
  ])('rejects %j with PARSE_ERROR', (body, message) => {
    expect(() => accept(body)).toThrow(new CallhouseError('PARSE_ERROR', message));
  });

  it('unwraps at most three JSON-string layers', () => {
    const wrap = (n: number) => Array.from({ length: n }).reduce<string>((s) => JSON.stringify(s), BYE);
    expect(accept(wrap(3))[0]!.key).toBe('1495706238.328');
    expect(() => accept(wrap(4))).toThrow(
      new CallhouseError('PARSE_ERROR', 'not a Yeastar report: body is wrapped more than 3 times'),
    );
  });

  it('replies as the PBX expects', () => {
    expect(yeastarS.ingest!.ok(config)).toEqual({ status: 200, body: { status: 'Success' } });
    expect(yeastarS.ingest!.rejected!(config, 'empty body')).toEqual({
      status: 400,
      body: { status: 'Failed', reason: 'empty body' },
    });
  });
});

describe('yeastar-s config', () => {
  it('parses the example and fills defaults', () => {
    const c = yeastarSConfigSchema.parse(yeastarS.example);
    expect(c).toMatchObject({
      id: 'hq-pbx',
      tenant: 'hq-pbx',
      enabled: true,
      max_body_bytes: 1048576,
      timezone: 'Europe/London',
    });
  });

  it('fills api defaults and keeps the password', () => {
    const c = yeastarSConfigSchema.parse({
      id: 'a',
      type: 'yeastar-s',
      api: { base_url: 'https://192.168.5.150:8088', username: 'api', password: 'pa55' },
    });
    expect(c.api).toEqual({
      base_url: 'https://192.168.5.150:8088',
      username: 'api',
      password: 'pa55',
      version: 'v1.0.1',
      port: '8260',
      recordings_dir: 'recordings',
      max_recording_bytes: 256 * 1024 * 1024,
      max_concurrent_downloads: 2,
      max_queued_downloads: 1000,
    });
  });

  it('rejects an unknown time zone at its path', () => {
    // The message itself comes from connectors/core/config.ts (zoneSchema).
    const r = yeastarSConfigSchema.safeParse({ id: 'a', type: 'yeastar-s', timezone: 'Europe/Londn' });
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['timezone']);
  });

  it.each([
    [{ id: 'a', type: 'yeastar-s', colour: 'red' }, ': Unrecognized key: "colour"'],
    [
      { id: 'a', type: 'yeastar-s', api: { base_url: 'https://pbx', username: 'api', password: 'x', version: 'v3' } },
      'api.version: Invalid option: expected one of "v1.0.0"|"v1.0.1"|"v1.1.0"|"v1.10"|"v2.0.0"',
    ],
    [
      { id: 'a', type: 'yeastar-s', api: { base_url: 'https://pbx', username: 'api' } },
      'api.password: Invalid input: expected string, received undefined',
    ],
  ])('rejects %j naming the key', (input, issue) => {
    const r = yeastarSConfigSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toContain(issue);
  });
});
