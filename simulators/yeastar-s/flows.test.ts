/** The flow player's reports, received through the connector's ingest and normalised. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yeastarS } from '../../connectors/yeastar-s/index.js';
import { yeastarSConfigSchema } from '../../connectors/yeastar-s/config.js';
import type { CallEvent, CallRecord } from '../../transforms/core/model.js';
import { testContext } from '../../transforms/yeastar-s/test-context.js';
import { FAILURE_REASONS, FLOW_KINDS, buildFlows, playFlows, type PlayedCall } from './index.js';

const config = yeastarSConfigSchema.parse({
  id: 'hq-pbx',
  type: 'yeastar-s',
  timezone: 'Europe/London',
  country: 'GB',
});
let server: Server;
let target: string;
const received: Array<{ headers: IncomingHttpHeaders; calls: CallRecord[]; events: CallEvent[] }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const calls: CallRecord[] = [];
      const events: CallEvent[] = [];
      for (const p of yeastarS.ingest!.accept(body, req.headers['content-type'] ?? '', config)) {
        const out = yeastarS.normalise(
          p.body,
          p.content_type,
          testContext({ timezone: 'Europe/London', country: 'GB' }),
        );
        calls.push(...out.calls);
        events.push(...out.events);
      }
      received.push({ headers: req.headers, calls, events });
      const ok = yeastarS.ingest!.ok(config);
      res.writeHead(ok.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(ok.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest/yeastar-s/hq-pbx?token=t0ken-t0ken`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const DIRECTION: Record<string, string> = {
  internal: 'internal',
  failed: 'internal',
  outbound: 'outbound',
  inbound: 'inbound',
  ivr: 'inbound',
  survey: 'inbound',
  transfer: 'inbound',
};
const DISPOSITION: Record<string, string> = {
  ANSWERED: 'answered',
  'NO ANSWER': 'no_answer',
  BUSY: 'busy',
  FAILED: 'failed',
};
const ch = (epoch: number) => DateTime.fromSeconds(epoch, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm:ss.SSS');

function expectCall(c: CallRecord, p: PlayedCall): void {
  expect({
    call_id: c.call_id,
    started_at: c.started_at,
    direction: c.direction,
    disposition: c.disposition,
    caller: c.caller,
    callee: c.callee,
    trunk: c.trunk,
    talk: c.talk_seconds,
    total: c.total_seconds,
  }).toEqual({
    call_id: p.callid,
    started_at: ch(p.epoch),
    direction: DIRECTION[p.kind],
    disposition: DISPOSITION[p.status],
    caller: p.callfrom,
    callee: p.callto,
    trunk: p.trunk,
    talk: p.talk,
    total: p.total,
  });
}

describe('playFlows → ingest → normalise', () => {
  it.each(['v1', '1.0.2', 'v2', 'mixed'] as const)(
    'shape %s: one call per flow, one event per distinct report',
    async (shape) => {
      received.length = 0;
      const { sent, calls } = await playFlows({ target, count: 14, seed: 7, shape, resendRate: 0.25 });
      expect(sent.every((s) => s.status === 200)).toBe(true);
      expect(received).toHaveLength(sent.length);
      expect(
        received.every((r) => r.headers['user-agent'] === 'WebAPI' && r.headers['content-type'] === 'application/json'),
      ).toBe(true);

      const byId = new Map(received.flatMap((r) => r.calls).map((c) => [c.call_id, c]));
      expect(byId.size).toBe(14);
      for (const p of calls) expectCall(byId.get(p.callid)!, p);

      const events = received.flatMap((r) => r.events);
      expect(events).toHaveLength(sent.length);
      const resent = sent.filter((s) => s.resend).length;
      expect(resent).toBeGreaterThan(0);
      expect(new Set(events.map((e) => e.event_key)).size).toBe(sent.length - resent);
      expect(new Set(events.map((e) => e.event_type))).toEqual(
        new Set([
          'ring',
          'ringback',
          'answer',
          'answered',
          'hangup',
          'transfer',
          'failed',
          'incoming',
          'dtmf',
          'prompt_end',
          'survey',
          'cdr',
        ]),
      );
    },
  );

  it('the two BYE reports of a call list the parties in both orders', async () => {
    received.length = 0;
    const { calls } = await playFlows({ target, count: 1, seed: 3, shape: 'v1' });
    const byes = received.flatMap((r) => r.events).filter((e) => e.event_type === 'hangup');
    expect(calls[0]!.kind).toBe('internal');
    expect(byes.map((b) => b.parties)).toEqual([byes[0]!.parties, [...byes[0]!.parties].reverse()]);
  });

  it('covers every CallFailed reason, the integer one in 1.0.2', () => {
    const flows = buildFlows({ count: FLOW_KINDS.length * FAILURE_REASONS.length, seed: 1, shape: '1.0.2' });
    const reasons = flows
      .flatMap((f) => f.reports)
      .filter((r) => r.action === 'CallFailed')
      .map((r) => r.extra[0]![1]);
    expect(reasons).toEqual(FAILURE_REASONS);
  });

  it('is deterministic for a seed', () => {
    expect(buildFlows({ count: 10, seed: 42, shape: 'mixed' })).toEqual(
      buildFlows({ count: 10, seed: 42, shape: 'mixed' }),
    );
    expect(buildFlows({ count: 10, seed: 42, shape: 'mixed' })).not.toEqual(
      buildFlows({ count: 10, seed: 43, shape: 'mixed' }),
    );
  });

  it('writes timestart in the PBX zone, so the callid epoch matches', () => {
    const [f] = buildFlows({ count: 1, seed: 5, shape: 'v1', timezone: 'Asia/Shanghai', startEpoch: 1_547_391_000 });
    const cdr = f!.reports.at(-1)!;
    const ts = cdr.extra.find(([k]) => k === 'timestart')![1];
    expect(DateTime.fromFormat(String(ts), 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toSeconds()).toBe(
      f!.call.epoch,
    );
  });
});
