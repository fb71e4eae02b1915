import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type VoicenterSimulator } from '../../simulators/voicenter/index.js';
import type { RawPayload } from '../core/contract.js';
import { CallhouseError } from '../../runtime/errors.js';
import { testConfig, testContext } from '../../transforms/voicenter/test-context.js';
import type { CallRecord } from '../../transforms/core/model.js';
import { voicenter } from './index.js';
import { virtualContext } from './test-poll-context.js';

const config = testConfig();
const accept = (body: string | Buffer, ct: string) =>
  voicenter.ingest!.accept(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), ct, config);

describe('voicenter ingest (CDR notifications)', () => {
  const n = {
    ivruniqueid: '202007211213270124c',
    time: 1595333610,
    type: 'Queue',
    status: 'ANSWER',
  };

  it('keys a POST-JSON notification by ivruniqueid and keeps the bytes unchanged', () => {
    const body = Buffer.from(JSON.stringify(n));
    expect(accept(body, 'application/json')).toEqual([
      {
        key: '202007211213270124c',
        body,
        content_type: 'application/json',
        meta: { endpoint: 'notification' },
      },
    ]);
  });

  it.each([
    ['form-encoded', new URLSearchParams({ ...n, time: '1595333610' }).toString(), 'application/x-www-form-urlencoded'],
    ['JSON inside a form field', `cdr=${encodeURIComponent(JSON.stringify(n))}`, 'application/x-www-form-urlencoded'],
    ['JSON without a content type', JSON.stringify(n), ''],
    ['upper-case key', JSON.stringify({ IVRUNIQUEID: '202007211213270124c' }), 'application/json'],
  ])('%s', (_name, body, ct) => {
    const [p] = accept(body, ct);
    expect(p!.key).toBe('202007211213270124c');
    expect(p!.body.toString('utf8')).toBe(body);
  });

  it('splits an array of notifications into one payload per call', () => {
    const payloads = accept(JSON.stringify([n, { ...n, ivruniqueid: 'B2' }]), 'application/json');
    expect(payloads.map((p) => [p.key, JSON.parse(p.body.toString('utf8'))])).toEqual([
      ['202007211213270124c', n],
      ['B2', { ...n, ivruniqueid: 'B2' }],
    ]);
  });

  it('accepts XML-RPC, keyed when the id is found, for a clear dead letter later', () => {
    const xml =
      '<?xml version="1.0"?><methodCall><params><param><value><struct><member><name>ivruniqueid</name><value><string>X77</string></value></member></struct></value></param></params></methodCall>';
    expect(accept(xml, 'text/xml')).toMatchObject([
      {
        key: 'X77',
        content_type: 'text/xml',
        meta: { endpoint: 'notification' },
      },
    ]);
  });

  it('a notification without an id is accepted with an empty key (the transform dead-letters it)', () => {
    expect(accept('{"caller":"0501234567"}', 'application/json')[0]!.key).toBe('');
  });

  it.each([
    ['empty', ''],
    ['broken JSON', '{"ivruniqueid":'],
    ['plain text', 'hello'],
  ])('refuses an unreadable body (%s) with PARSE_ERROR', (_name, body) => {
    expect(() => accept(body, 'text/plain')).toThrow(CallhouseError);
    try {
      accept(body, 'text/plain');
    } catch (e) {
      expect((e as CallhouseError).code).toBe('PARSE_ERROR');
    }
  });

  it('answers as Voicenter expects', () => {
    expect(voicenter.ingest!.ok(config)).toEqual({
      status: 200,
      body: { Err: 0, Errdesc: 'OK' },
      contentType: 'application/json',
    });
    expect(voicenter.ingest!.rejected!(config, 'body is not JSON')).toEqual({
      status: 400,
      body: { Err: 1, Errdesc: 'body is not JSON' },
      contentType: 'application/json',
    });
  });
});

describe('a notification and a poll of the same call', () => {
  let sim: VoicenterSimulator | undefined;
  let receiver: Server | undefined;
  afterEach(async () => {
    await sim?.close();
    await new Promise((r) => (receiver ? receiver.close(r) : r(undefined)));
  });

  /** A stand-in for the ingest server: accept(), then the vendor's ok() reply. */
  async function startReceiver(into: RawPayload[]): Promise<string> {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        into.push(...accept(Buffer.concat(chunks), req.headers['content-type'] ?? ''));
        const ok = voicenter.ingest!.ok(config);
        res.writeHead(ok.status, { 'content-type': 'application/json' }).end(JSON.stringify(ok.body));
      });
    });
    await new Promise<void>((r) => receiver!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ingest/voicenter/vc-test`;
  }

  const normaliseAll = (payloads: RawPayload[]): CallRecord[] =>
    payloads.flatMap((p) => voicenter.normalise(p.body, p.content_type, testContext(p.meta)).calls);
  const byLeg = (calls: CallRecord[]) => new Map(calls.map((c) => [`${c.call_id}#${c.leg}`, c]));

  it.each(['json', 'form'] as const)('give the same call_id and key fields (%s notifications)', async (format) => {
    sim = await startSimulator({ seed: 11, callsPerDay: 60 });
    const pushed: RawPayload[] = [];
    const target = await startReceiver(pushed);
    const replies = await sim.notify({
      target,
      day: '2024-06-10',
      count: 1000,
      format,
    });
    expect(replies.every((r) => r.status === 200 && r.body === '{"Err":0,"Errdesc":"OK"}')).toBe(true);

    const ctx = virtualContext({ base_url: sim.url, code: sim.code, min_spacing_ms: 0 }, '2024-06-12T00:00:00Z');
    const polled: RawPayload[] = [];
    const from = new Date('2024-06-10T00:00:00Z');
    for await (const b of voicenter.poll!.read(ctx, null, {
      from,
      to: new Date('2024-06-11T00:00:00Z'),
    }))
      polled.push(...b.payloads);

    expect(pushed.map((p) => p.key)).toEqual(polled.map((p) => p.key));
    const viaPush = byLeg(normaliseAll(pushed));
    const viaPoll = byLeg(normaliseAll(polled));
    expect([...viaPush.keys()].sort()).toEqual([...viaPoll.keys()].sort());
    let queueCalls = 0;
    for (const [key, push] of viaPush) {
      const poll = viaPoll.get(key)!;
      if (push.queue_wait_seconds !== null) queueCalls++;
      // Documented differences: only a notification knows the queue wait, and with it the answer
      // and end instants of queue calls.
      expect({
        ...poll,
        queue_wait_seconds: push.queue_wait_seconds,
        answered_at: push.answered_at,
        ended_at: push.ended_at,
      }).toEqual(push);
      if (push.queue_wait_seconds === null)
        expect([poll.answered_at, poll.ended_at]).toEqual([push.answered_at, push.ended_at]);
    }
    expect(queueCalls).toBeGreaterThan(0);
    expect(viaPush.size).toBeGreaterThan(60);
  });
});

describe('voicenter ingest of Call Log items', () => {
  it('marks a Call Log item as such, and splits a whole Call Log response per CDR', () => {
    const item = { CallID: 'C9', Date: '2024-06-10T09:04:58Z', Duration: 2 };
    const response = { ERROR_NUMBER: 0, CDR_LIST: [item, { ...item, CallID: 'C10' }] };
    expect(accept(JSON.stringify(response), 'application/json').map((p) => [p.key, p.meta.endpoint])).toEqual([
      ['C9', 'cdr'],
      ['C10', 'cdr'],
    ]);
  });
});
