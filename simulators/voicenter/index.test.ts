import { afterEach, describe, expect, it } from 'vitest';
import { startSimulator, type VoicenterSimulator } from './index.js';
import { cdrsOfDay, DIAL_STATUSES, SIM_TYPES } from './data.js';

let sim: VoicenterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const post = async (body: unknown) => {
  const res = await fetch(sim!.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    json: (await res.json()) as Record<string, unknown>,
  };
};
const day = { fromdate: '2024-06-10T00:00:00', todate: '2024-06-10T23:59:59' };

describe('voicenter simulator: data', () => {
  it('is deterministic per seed and day, and differs between seeds', () => {
    expect(cdrsOfDay(3, '2024-06-10', 50)).toEqual(cdrsOfDay(3, '2024-06-10', 50));
    expect(cdrsOfDay(3, '2024-06-10', 50)).not.toEqual(cdrsOfDay(4, '2024-06-10', 50));
    expect(cdrsOfDay(3, '2024-06-10', 50)).not.toEqual(cdrsOfDay(3, '2024-06-11', 50));
  });

  it('covers every CdrType and DialStatus, with Hebrew names and prices, in one day', () => {
    const cdrs = cdrsOfDay(1, '2024-06-10', 300).map((c) => c.record);
    expect(new Set(cdrs.map((r) => r.CdrType))).toEqual(new Set(Object.keys(SIM_TYPES).map(Number)));
    expect(new Set(cdrs.map((r) => r.DialStatus))).toEqual(new Set(DIAL_STATUSES));
    expect(cdrs.some((r) => r.RepresentativeName === 'ישראל ישראלי')).toBe(true);
    expect(cdrs.some((r) => r.QueueName === 'תור מכירות')).toBe(true);
    expect(cdrs.some((r) => Number(r.Price) > 0)).toBe(true);
    for (const r of cdrs) expect(r.Type).toBe(SIM_TYPES[r.CdrType as number]);
  });

  it('links legs and transfers: shared CallID for two-leg types, OriginalIvrUniqueID for transfers', () => {
    const cdrs = cdrsOfDay(1, '2024-06-10', 300).map((c) => c.record);
    const ids = new Set(cdrs.map((r) => r.CallID));
    for (const leg1 of cdrs.filter((r) => [9, 14, 17].includes(r.CdrType as number))) {
      expect(cdrs.filter((r) => r.CallID === leg1.CallID).map((r) => r.CdrType)).toEqual([
        leg1.CdrType,
        (leg1.CdrType as number) + 1,
      ]);
    }
    for (const x of cdrs.filter((r) => [13, 21, 22].includes(r.CdrType as number))) {
      const original = (x.CustomData as Record<string, string>).OriginalIvrUniqueID!;
      expect(ids.has(original)).toBe(true);
    }
  });
});

describe('voicenter simulator: Call Log API', () => {
  it('returns only the requested fields, in PascalCase (Targetextension → TargetExtension), ascending when asked', async () => {
    sim = await startSimulator({ seed: 2, callsPerDay: 20 });
    const { status, json } = await post({
      code: sim.code,
      fields: ['CallID', 'Date', 'Targetextension', 'callerextension'],
      search: day,
      sort: [{ field: 'date', order: 'asc' }],
    });
    expect(status).toBe(200);
    const expected = sim.cdrsBetween(new Date('2024-06-10T00:00:00Z'), new Date('2024-06-11T00:00:00Z'));
    expect(json).toEqual({
      ERROR_NUMBER: 0,
      ERROR_DESCRIPTION: 'OK',
      STATUS_CODE: 200,
      TOTAL_HITS: expected.length,
      RETURN_HITS: expected.length,
      CDR_LIST: expected.map((r) => ({
        CallID: r.CallID,
        Date: r.Date,
        TargetExtension: r.TargetExtension,
        CallerExtension: r.CallerExtension,
      })),
    });
  });

  it('answers the GET form with repeated fields= parameters, newest first by default', async () => {
    sim = await startSimulator({ seed: 2, callsPerDay: 20 });
    const res = await fetch(
      `${sim.url}?code=${sim.code}&format=JSON&fromdate=2024-06-10T00:00&todate=2024-06-10T23:59&fields=CallID&Fields=Date`,
    );
    const json = (await res.json()) as { CDR_LIST: Record<string, unknown>[] };
    const expected = sim.cdrsBetween(new Date('2024-06-10T00:00:00Z'), new Date('2024-06-10T23:59:01Z'));
    expect(json.CDR_LIST).toEqual(expected.reverse().map((r) => ({ CallID: r.CallID, Date: r.Date })));
  });

  it('caps a response at maxReturn with the true TOTAL_HITS', async () => {
    sim = await startSimulator({ seed: 2, callsPerDay: 100, maxReturn: 10 });
    const { json } = await post({
      code: sim.code,
      fields: ['CallID'],
      search: day,
    });
    expect(json.RETURN_HITS).toBe(10);
    expect(json.TOTAL_HITS).toBe(
      sim.cdrsBetween(new Date('2024-06-10T00:00:00Z'), new Date('2024-06-11T00:00:00Z')).length,
    );
    expect(json.CDR_LIST).toHaveLength(10);
  });

  it.each([
    ['a wrong code', {}, { code: 'nope' }, 2, 'Authorization failed.'],
    ['an untrusted address', { allowIps: ['192.0.2.1'] }, {}, 4, 'IP address 127.0.0.1 is not trusted.'],
    ['too many CDRs in error mode', { maxReturn: 1, overLimit: 'error' as const }, {}, 3, 'CDR limit exceeded.'],
    [
      'a reversed range',
      {},
      {
        search: {
          fromdate: '2024-06-11T00:00:00',
          todate: '2024-06-10T00:00:00',
        },
      },
      5,
      'Date range invalid.',
    ],
    ['a bad date', {}, { search: { fromdate: 'yesterday', todate: '2024-06-10T00:00:00' } }, 5, 'Date range invalid.'],
  ])('refuses %s', async (_name, opts, request, errorNumber, description) => {
    sim = await startSimulator({ seed: 2, callsPerDay: 20, ...opts });
    const { status, json } = await post({
      code: sim.code,
      fields: ['CallID'],
      search: day,
      ...request,
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      ERROR_NUMBER: errorNumber,
      ERROR_DESCRIPTION: description,
    });
  });

  it('limits requests per sliding minute with error 1', async () => {
    let now = Date.parse('2024-06-12T00:00:00Z');
    sim = await startSimulator({ requestsPerMinute: 2, now: () => now });
    const ask = async () => (await post({ code: sim!.code, fields: ['CallID'], search: day })).json.ERROR_NUMBER;
    expect([await ask(), await ask(), await ask()]).toEqual([0, 0, 1]);
    now += 60_000;
    expect(await ask()).toBe(0);
  });

  it('can send errors with their HTTP status, and replays forced failures in order', async () => {
    sim = await startSimulator({ httpErrorStatus: true });
    sim.failNext(1, 5);
    const a = await post({ code: sim.code, search: day });
    const b = await post({ code: sim.code, search: day });
    const c = await post({ code: sim.code, search: day });
    expect([a.status, a.json.ERROR_NUMBER, b.status, b.json.ERROR_NUMBER, c.status, c.json.ERROR_NUMBER]).toEqual([
      403, 1, 404, 5, 200, 0,
    ]);
  });

  it('answers 404 outside /hub/cdr/', async () => {
    sim = await startSimulator({});
    expect((await fetch(sim.url.replace('/hub/cdr/', '/other'))).status).toBe(404);
  });
});

describe('voicenter simulator: notifier', () => {
  it('POSTs notifications of the same calls, as JSON or form', async () => {
    sim = await startSimulator({ seed: 5, callsPerDay: 10 });
    const received: { ct: string; body: string }[] = [];
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ ct: req.headers['content-type'] ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"Err":0,"Errdesc":"OK"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const target = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
    const calls = sim.cdrsBetween(new Date('2024-06-10T00:00:00Z'), new Date('2024-06-11T00:00:00Z'));
    const wanted = [String(calls[0]!.CallID), String(calls[3]!.CallID)];
    const replies = await sim.notify({
      target,
      day: '2024-06-10',
      callIds: wanted,
      format: 'form',
    });
    await sim.notify({ target, day: '2024-06-10', count: 1, format: 'json' });
    server.close();
    expect(replies.map((r) => [r.callId, r.status])).toEqual(wanted.map((id) => [id, 200]));
    const form = new URLSearchParams(received[0]!.body);
    expect(received[0]!.ct).toBe('application/x-www-form-urlencoded');
    expect(form.get('ivruniqueid')).toBe(wanted[0]);
    expect(form.get('time')).toBe(String(Date.parse(String(calls[0]!.Date)) / 1000));
    expect(form.get('status')).toBe(calls[0]!.DialStatus);
    const json = JSON.parse(received[2]!.body) as Record<string, unknown>;
    expect(received[2]!.ct).toBe('application/json');
    expect(json).toMatchObject({
      ivruniqueid: calls[0]!.CallID,
      caller: calls[0]!.CallerNumber,
      dialtime: calls[0]!.RingTime,
      price: calls[0]!.Price,
    });
  });
});
