/**
 * Voicenter end to end (issue 9): the Call Log API of a simulated Voicenter, read by backfill
 * through the real broker into the warehouse, and CDR notifications POSTed by the simulator to
 * the running service. Expectations come from the simulator's own data (cdrsBetween) and the
 * mapping in connectors/voicenter/README.md.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type VoicenterSimulator } from '../../simulators/voicenter/index.js';
import { randomPrefix } from '../helpers/kafka.js';
import { drained, runBackfill, seedCursors } from '../helpers/poll.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TOKEN = 'vc-notify-token-0123456789';
const CAP = 25;
const dayRange = (day: string) => ({
  from: new Date(`${day}T00:00:00Z`),
  to: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000),
});

const LEG: Record<number, number> = { 9: 1, 10: 2, 14: 1, 15: 2, 17: 1, 18: 2, 19: 2, 21: 1, 22: 2 };
const QUEUE_TYPES = new Set([8, 19]);
const DIRECTION: Record<number, string> = {
  1: 'inbound',
  4: 'outbound',
  8: 'inbound',
  9: 'outbound',
  10: 'outbound',
  11: 'inbound',
  14: 'outbound',
  15: 'outbound',
  17: 'outbound',
  18: 'outbound',
  19: 'outbound',
  22: 'inbound',
};
const DISPOSITION: Record<string, string> = {
  ANSWER: 'answered',
  NOANSWER: 'no_answer',
  BUSY: 'busy',
  CANCEL: 'cancelled',
  NOTCALLED: 'cancelled',
  ABANDONE: 'abandoned',
  TIMEOUT: 'abandoned',
  EXIT: 'abandoned',
  VOEND: 'abandoned',
  VOICEMAIL: 'voicemail',
  TE: 'system',
  FULL: 'failed',
  JOINEMPTY: 'failed',
  NOTDIALED: 'failed',
  CONGESTION: 'failed',
  CHANUNAVAIL: 'failed',
};
/** Israeli numbers as the simulator writes them (05…, 03…, 072…, 9725…) have an E.164 form; extensions do not. */
const isNumber = (n: string) => /^(0\d{8,9}|972\d{8,9})$/.test(n);
const chTime = (epochSeconds: number) =>
  DateTime.fromSeconds(epochSeconds, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm:ss.SSS');

/** The calls row the README's mapping gives for a Call Log record. */
function expectedRow(r: Record<string, unknown>): Record<string, unknown> {
  const type = Number(r.CdrType);
  const leg = LEG[type] ?? 0;
  const callId = String(r.CallID);
  const original = String((r.CustomData as Record<string, unknown>).OriginalIvrUniqueID ?? '');
  const start = Number(r.DateEpoch);
  const ring = Number(r.RingTime);
  const talk = Number(r.Duration);
  const disposition = DISPOSITION[String(r.DialStatus)]!;
  const caller = String(r.CallerNumber);
  const callee = String(r.TargetNumber);
  const direction =
    DIRECTION[type] ??
    (isNumber(caller) ? 'inbound' : isNumber(callee) ? 'outbound' : callee !== '' ? 'internal' : 'unknown');
  const queue = QUEUE_TYPES.has(type);
  return {
    call_id: callId,
    leg,
    parent_call_id: original !== '' && original !== callId ? original : leg !== 0 ? callId : '',
    tenant: 'acme-il',
    source: 'voicenter',
    connector_id: 'vc',
    started_at: chTime(start),
    answered_at: !queue && disposition === 'answered' ? chTime(start + ring) : null,
    ended_at: queue ? null : chTime(start + ring + talk),
    direction,
    caller,
    callee,
    did: String(r.DID),
    queue: String(r.QueueName),
    agent: String(r.RepresentativeName),
    disposition,
    vendor_status: String(r.DialStatus),
    vendor_type: String(r.Type),
    ring_seconds: ring,
    talk_seconds: talk,
    total_seconds: ring + talk,
    queue_wait_seconds: null,
    agorot: Number(r.Price),
    recording: String(r.RecordURL),
  };
}

const COLUMNS = `call_id, leg, parent_call_id, tenant, source, connector_id, toString(started_at) AS started_at,
  toString(answered_at) AS answered_at, toString(ended_at) AS ended_at, direction, caller, callee, did, queue, agent,
  disposition, vendor_status, vendor_type, ring_seconds, talk_seconds, total_seconds, queue_wait_seconds,
  toInt64(cost * 100) AS agorot, recording`;

const byKey = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  `${String(a.call_id)}|${String(a.leg)}`.localeCompare(`${String(b.call_id)}|${String(b.leg)}`);

describe('voicenter end to end', () => {
  let t: TestService;
  let sim: VoicenterSimulator;
  /** Requests the simulator accepted so far; at `failAfter` the next one gets error 1. */
  let accepted = 0;
  let failAfter = -1;

  const rowsOfDay = async (day: string): Promise<Record<string, unknown>[]> => {
    const { from, to } = dayRange(day);
    const rows = await t.query<Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM {db}.calls AS c FINAL
       WHERE toUnixTimestamp(c.started_at) >= ${from.getTime() / 1000} AND toUnixTimestamp(c.started_at) < ${to.getTime() / 1000}
       ORDER BY call_id, leg`,
    );
    return rows.map((r) => ({ ...r, agorot: Number(r.agorot) })).sort(byKey);
  };
  const expectedOfDay = (day: string) => {
    const { from, to } = dayRange(day);
    return sim.cdrsBetween(from, to).map(expectedRow).sort(byKey);
  };

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 9,
      callsPerDay: 60,
      maxReturn: CAP,
      requestsPerMinute: 100_000,
      now: () => {
        accepted += 1;
        if (accepted === failAfter) sim.failNext(1);
        return Date.now();
      },
    });
    const prefix = randomPrefix();
    // A cursor in the future: the Poller's run at start reads nothing; only the backfills below do.
    await seedCursors(prefix, { vc: { to: '2999-01-01T00:00:00.000Z' } });
    t = await startTestService({
      prefix,
      connectors: [
        {
          id: 'vc',
          type: 'voicenter',
          tenant: 'acme-il',
          base_url: sim.url,
          code: sim.code,
          token: TOKEN,
          max_records_per_request: CAP,
          requests_per_minute: 1000,
          min_spacing_ms: 0,
        },
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await sim?.close();
  });

  it('lands exactly the simulator calls of a day that needs window splitting', async () => {
    const day = '2024-06-10';
    const { from, to } = dayRange(day);
    const cdrs = sim.cdrsBetween(from, to);
    expect(cdrs.length).toBeGreaterThan(3 * CAP);
    const before = sim.requests.length;
    const r = await runBackfill(t, 'vc', from, to);
    const mine = sim.requests.slice(before);
    // The day did not fit one response: it was halved until every window fitted.
    expect(mine.length).toBeGreaterThan(3);
    expect(mine.every((q) => q.errorNumber === 0)).toBe(true);
    expect(mine.some((q) => q.returned === CAP)).toBe(true);
    expect(r.records).toBe(cdrs.length);
    await drained(t);

    const rows = await rowsOfDay(day);
    expect(rows).toEqual(expectedOfDay(day));
    // Each CDR is one row (CallID + leg), both legs of two-leg calls included.
    expect(rows).toHaveLength(cdrs.length);
    expect(rows.some((x) => x.leg === 1) && rows.some((x) => x.leg === 2)).toBe(true);
    expect(Number((await t.query<{ n: string }>(`SELECT count() AS n FROM {db}.calls FINAL`))[0]!.n)).toBe(cdrs.length);
  });

  it('loses no record when Voicenter answers error 1 (request limit) during the run', async () => {
    const day = '2024-06-11';
    const { from, to } = dayRange(day);
    const before = sim.requests.length;
    failAfter = accepted + 3; // the 4th request of this run is refused with error 1
    const r = await runBackfill(t, 'vc', from, to);
    const mine = sim.requests.slice(before);
    const refused = mine.findIndex((q) => q.errorNumber === 1);
    expect(refused).toBe(3);
    expect(mine.filter((q) => q.errorNumber !== 0)).toHaveLength(1);
    // The refused window was asked again, and answered.
    const again = mine[refused + 1]!;
    expect(again.errorNumber).toBe(0);
    expect(again.body.search).toEqual(mine[refused]!.body.search);
    expect(r.records).toBe(sim.cdrsBetween(from, to).length);
    await drained(t);
    expect(await rowsOfDay(day)).toEqual(expectedOfDay(day));
  }, 90_000);

  it('keeps one row for a call both notified and polled; the notification is answered {"Err":0,"Errdesc":"OK"}', async () => {
    const day = '2024-06-12';
    const { from, to } = dayRange(day);
    const cdrs = sim.cdrsBetween(from, to);
    // Calls of several types, including a two-leg call (same CallID on both legs) and a queue call.
    const pick = new Set<string>();
    for (const want of [1, 4, 8, 9, 13]) {
      const c = cdrs.find((x) => Number(x.CdrType) === want);
      if (c) pick.add(String(c.CallID));
    }
    expect(pick.size).toBeGreaterThanOrEqual(4);
    const target = `${t.ingestUrl}/ingest/voicenter/vc?token=${TOKEN}`;
    const replies = await sim.notify({ target, day, callIds: [...pick] });
    const notified = cdrs.filter((c) => pick.has(String(c.CallID)));
    expect(replies).toHaveLength(notified.length);
    for (const reply of replies) {
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ Err: 0, Errdesc: 'OK' });
    }
    // A form-encoded notification of one of them (resent, as Voicenter may) is answered the same.
    const form = await sim.notify({ target, day, callIds: [[...pick][0]!], format: 'form' });
    expect(form.every((x) => x.status === 200 && JSON.parse(x.body).Err === 0)).toBe(true);
    await drained(t);

    // The notified rows, before any poll: the same columns as the Call Log gives, except that only
    // the notification knows a queue call's wait (and so its answer and end times).
    const notifiedWant = new Map(notified.map((c) => [`${String(c.CallID)}|${LEG[Number(c.CdrType)] ?? 0}`, c]));
    const early = await rowsOfDay(day);
    expect(early.map((x) => `${String(x.call_id)}|${String(x.leg)}`).sort()).toEqual([...notifiedWant.keys()].sort());
    const notifications = sim.notificationsBetween(from, to);
    const wants = new Map<string, Record<string, unknown>>();
    for (const row of early) {
      const cdr = notifiedWant.get(`${String(row.call_id)}|${String(row.leg)}`)!;
      const want = expectedRow(cdr);
      if (QUEUE_TYPES.has(Number(cdr.CdrType))) {
        const n = notifications.find((x) => x.ivruniqueid === cdr.CallID)!;
        const wait = Number(n.seconds_waiting_in_queue);
        const start = Number(cdr.DateEpoch);
        Object.assign(want, {
          queue_wait_seconds: wait,
          answered_at: want.disposition === 'answered' ? chTime(start + wait + Number(cdr.RingTime)) : null,
          ended_at: chTime(start + wait + Number(cdr.RingTime) + Number(cdr.Duration)),
        });
      }
      expect(row).toEqual(want);
      wants.set(`${String(row.call_id)}|${String(row.leg)}`, want);
    }

    const r = await runBackfill(t, 'vc', from, to);
    expect(r.records).toBe(cdrs.length);
    await drained(t);
    const rows = await rowsOfDay(day);
    // One row per call and leg, whichever way it came, merged field by field: what only the
    // notification knew (a queue call's wait, answer and end) stays; the rest is the Call Log's.
    expect(rows).toEqual(expectedOfDay(day).map((r) => wants.get(`${String(r.call_id)}|${String(r.leg)}`) ?? r));
    expect(rows.some((r) => r.queue_wait_seconds !== null)).toBe(true);
    const keys = [...notifiedWant.keys()].map((k) => `'${k}'`).join(',');
    const counts = await t.query<{ k: string; n: string }>(
      `SELECT concat(call_id, '|', toString(leg)) AS k, count() AS n FROM {db}.calls FINAL WHERE k IN (${keys}) GROUP BY k ORDER BY k`,
    );
    expect(counts.map((c) => [c.k, Number(c.n)])).toEqual([...notifiedWant.keys()].sort().map((k) => [k, 1]));
  });

  it('rejects a notification with a wrong token, and dead-letters an unreadable one with an Err answer', async () => {
    const url = `${t.ingestUrl}/ingest/voicenter/vc`;
    const wrong = await fetch(`${url}?token=nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(wrong.status).toBe(401);
    const bad = await fetch(`${url}?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ivruniqueid":',
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()) as unknown).toMatchObject({ Err: 1 });
    await t.waitForCount(
      `SELECT count() AS n FROM {db}.dead_letters WHERE connector_id = 'vc' AND stage = 'ingest'`,
      1,
    );
  });
});
