/**
 * IPCortex end to end (issue 7): the billing REST API of a simulated PABX, read by the callhouse
 * runtime (backfill and the Poller's run at start), through the real broker into the warehouse.
 * Expectations come from the simulator's own generator (expectedCalls / expectedSummary) and the
 * mapping documented in connectors/ipcortex/README.md.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type IpcortexSimulator } from '../../simulators/ipcortex/index.js';
import type { SimCall } from '../../simulators/ipcortex/data.js';
import { randomPrefix, until } from '../helpers/kafka.js';
import { drained, runBackfill, seedCursors } from '../helpers/poll.js';
import { startTestService, type TestService } from '../helpers/service.js';

const ZONE = 'Europe/London';
// Three local days at the end of a winter month (London = UTC), so the month's summary is read.
const FROM = new Date('2024-01-29T00:00:00Z');
const TO = new Date('2024-02-01T00:00:00Z');
const FIRST_DAY = '2024-01-29';
const LAST_DAY = '2024-01-31';
const FUTURE = { day: '2999-01-01' };

const connector = (id: string, sim: IpcortexSimulator, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'ipcortex',
  tenant: `tenant-${id}`,
  timezone: ZONE,
  country: 'GB',
  base_url: sim.url,
  username: 'billing',
  password: 'billing-pass',
  cost_divisor: 100,
  currency: 'GBP',
  retry_base_ms: 40,
  retry_max_ms: 300,
  ...extra,
});

const chTime = (epochSeconds: number) =>
  DateTime.fromSeconds(epochSeconds, { zone: 'UTC' }).toFormat('yyyy-MM-dd HH:mm:ss.SSS');

/** The calls row the README's mapping gives for one simulated call (cost_divisor 100). */
function expectedRow(c: SimCall, id: string): Record<string, unknown> {
  const inn = c.in?.item;
  const out = c.out?.item;
  const primary = (inn ?? out)!;
  const ring = primary.ringtime;
  const talk = primary.billsecs;
  const started = Math.min(...[inn?.calldate, out?.calldate].filter((x): x is number => x !== undefined));
  const direction =
    inn && out
      ? 'internal'
      : inn
        ? inn.type === 'Internal'
          ? 'internal'
          : 'inbound'
        : out!.type === 'Internal' || out!.type === 'Test Number'
          ? 'internal'
          : 'outbound';
  let disposition: string;
  if (inn) {
    const byDetail: Record<string, string> = { Answered: 'answered', 'Not answered': 'no_answer', Busy: 'busy' };
    disposition = byDetail[inn.detail]!;
    if (disposition !== 'answered' && inn.qstatus !== '') disposition = 'abandoned'; // ABANDONED, TIMEOUT
  } else disposition = talk > 0 ? 'answered' : 'no_answer';
  const queued = inn !== undefined && (inn.qstatus !== '' || inn.qtime !== '');
  return {
    call_id: String(c.acctid),
    tenant: `tenant-${id}`,
    source: 'ipcortex',
    connector_id: id,
    leg: 0,
    parent_call_id: '',
    started_at: chTime(started),
    started_local: chTime(started), // London in January is UTC
    answered_at: talk > 0 ? chTime(started + ring) : null,
    ended_at: chTime(started + ring + talk),
    direction,
    caller: inn ? inn.caller : out!.cid,
    callee: inn ? c.in!.extension : out!.dialled,
    trunk: out ? out.trunk : '',
    did: inn ? inn.ddi : '',
    queue: queued ? c.in!.extension : '',
    queue_wait_seconds: queued ? Number(inn.qtime) : null,
    disposition,
    vendor_status: inn ? [inn.detail, inn.qstatus].filter((s) => s !== '').join('/') : '',
    vendor_type: [...new Set([inn?.type, out?.type].filter((s): s is NonNullable<typeof s> => s !== undefined))].join(
      '/',
    ),
    ring_seconds: ring,
    talk_seconds: talk,
    total_seconds: ring + talk,
    // Every connector here reads allcalls, which the vendor documents as excluding cost data: a
    // `cost` the PABX shows there (allcallsCost) is not read; costs come from billing_summary.
    cost_tenths: null,
    currency: 'GBP',
  };
}

const CALL_COLUMNS = `call_id, tenant, source, connector_id, leg, parent_call_id, toString(started_at) AS started_at,
  toString(started_local) AS started_local, toString(answered_at) AS answered_at, toString(ended_at) AS ended_at,
  direction, caller, callee, trunk, did, queue, queue_wait_seconds, disposition, vendor_status, vendor_type,
  ring_seconds, talk_seconds, total_seconds, if(isNull(cost), NULL, toInt64(cost * 1000)) AS cost_tenths, currency`;

async function callRows(t: TestService, id: string): Promise<Record<string, unknown>[]> {
  const rows = await t.query<Record<string, unknown>>(
    `SELECT ${CALL_COLUMNS} FROM {db}.calls FINAL WHERE connector_id = '${id}' ORDER BY call_id`,
  );
  return rows.map((r) => ({ ...r, cost_tenths: r.cost_tenths === null ? null : Number(r.cost_tenths) }));
}

/** The billing_summary rows of one month as the README says: one per company, one per handset. */
function expectedBilling(sim: IpcortexSimulator, year: number, month: number): Record<string, unknown>[] {
  const totals = sim.expectedSummary(year, month);
  const rows: Record<string, unknown>[] = [];
  for (const company of sim.companies) {
    const devices = totals.get(company.id) ?? new Map();
    const sum = (f: (d: { costTenths: number; seconds: number; unknown: number }) => number) =>
      [...devices.values()].reduce((s, d) => s + f(d), 0);
    const base = {
      month: `${year}-${String(month).padStart(2, '0')}-01`,
      company: company.id,
      company_name: company.name,
      currency: 'GBP',
    };
    rows.push({
      ...base,
      device_id: '',
      device_name: '',
      device: '',
      cost_tenths: sum((d) => d.costTenths),
      billable_seconds: sum((d) => d.seconds),
      unknown_cost_calls: sum((d) => d.unknown),
    });
    for (const [id, d] of devices) {
      rows.push({
        ...base,
        device_id: id,
        device_name: d.name,
        device: d.device,
        cost_tenths: d.costTenths,
        billable_seconds: d.seconds,
        unknown_cost_calls: d.unknown,
      });
    }
  }
  return rows.sort((a, b) =>
    `${String(a.company)}|${String(a.device_id)}`.localeCompare(`${String(b.company)}|${String(b.device_id)}`),
  );
}

async function billingRows(t: TestService, id: string): Promise<Record<string, unknown>[]> {
  const rows = await t.query<Record<string, unknown>>(
    `SELECT toString(month) AS month, company, company_name, currency, device_id, device_name, device,
            toInt64(cost * 1000) AS cost_tenths, billable_seconds, unknown_cost_calls
     FROM {db}.billing_summary FINAL WHERE connector_id = '${id}' ORDER BY company, device_id`,
  );
  return rows
    .map((r): Record<string, unknown> => ({
      ...r,
      cost_tenths: Number(r.cost_tenths),
      billable_seconds: Number(r.billable_seconds),
      unknown_cost_calls: Number(r.unknown_cost_calls),
    }))
    .sort((a, b) =>
      `${String(a.company)}|${String(a.device_id)}`.localeCompare(`${String(b.company)}|${String(b.device_id)}`),
    );
}

const callIds = (calls: SimCall[]) => calls.map((c) => String(c.acctid)).sort();

describe('ipcortex end to end: backfill through the broker into the warehouse', () => {
  let t: TestService;
  let sim: IpcortexSimulator;
  let shared: IpcortexSimulator;
  let locked: IpcortexSimulator;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 11, callsPerDay: 12, timezone: ZONE, allcallsCost: true });
    shared = await startSimulator({ seed: 12, callsPerDay: 6, timezone: ZONE, processingDelayMs: 40 });
    locked = await startSimulator({ seed: 13, callsPerDay: 6, timezone: ZONE });
    const prefix = randomPrefix();
    // Cursors in the future: the Poller's run at start reads nothing, so the tables hold only
    // what the backfills below read.
    await seedCursors(prefix, { pabx: FUTURE, 'twin-a': FUTURE, 'twin-b': FUTURE, locked: FUTURE });
    t = await startTestService({
      prefix,
      connectors: [
        connector('pabx', sim),
        connector('twin-a', shared, { key: 'sim-api-key-0001', username: undefined, password: undefined }),
        connector('twin-b', shared),
        connector('locked', locked),
      ],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([sim, shared, locked].map((s) => s?.close()));
  });

  it('lands exactly the calls and billing_summary rows of the days read; a second backfill adds nothing', async () => {
    const first = await runBackfill(t, 'pabx', FROM, TO);
    const expected = sim.expectedCalls(FIRST_DAY, LAST_DAY);
    expect(expected.length).toBe(3 * (12 + 6));
    // One payload per call, plus one outsummary entry per company after each day's read.
    expect(first.days).toBe(3);
    expect(first.records).toBe(expected.length + 3 * sim.companies.length);
    await drained(t);

    const rows = await callRows(t, 'pabx');
    expect(rows.map((r) => r.call_id)).toEqual(callIds(expected));
    const want = expected
      .map((c) => expectedRow(c, 'pabx'))
      .sort((a, b) => String(a.call_id).localeCompare(String(b.call_id)));
    expect(rows).toEqual(want);
    // The sample covers every kind of call the PABX lists.
    expect(new Set(expected.map((c) => c.kind))).toEqual(
      new Set(['internal', 'inbound', 'queued', 'outbound', 'test']),
    );
    // The PABX shows costs in allcalls here, and none of them becomes a per-call cost.
    expect(rows.every((r) => r.cost_tenths === null)).toBe(true);

    const billing = await billingRows(t, 'pabx');
    expect(billing).toEqual(expectedBilling(sim, 2024, 1));
    expect(billing.filter((r) => r.device_id === '')).toHaveLength(2);

    const snapshot = async () => ({
      calls: (await t.query<{ n: string }>(`SELECT count() AS n FROM {db}.calls FINAL`))[0]!.n,
      billing: (await t.query<{ n: string }>(`SELECT count() AS n FROM {db}.billing_summary FINAL`))[0]!.n,
      kpi: await t.query(`SELECT * FROM {db}.kpi_daily WHERE tenant = 'tenant-pabx' ORDER BY day, source, direction`),
      cost: await t.query(
        `SELECT * FROM {db}.cost_monthly WHERE tenant = 'tenant-pabx' ORDER BY month, source, currency`,
      ),
    });
    const before = await snapshot();
    expect(Number(before.calls)).toBe(expected.length);
    expect(before.kpi.length).toBeGreaterThan(0);
    expect(before.cost.length).toBeGreaterThan(0);

    const reportsBefore = sim.stats().reports;
    const second = await runBackfill(t, 'pabx', FROM, TO);
    // It really read everything again (no resume: the first run finished)...
    expect(second).toEqual({ ...first, resumedFrom: null });
    expect(sim.stats().reports - reportsBefore).toBe(6);
    await drained(t);
    // ...and the warehouse and the reporting views did not change.
    expect(await snapshot()).toEqual(before);
    expect(await callRows(t, 'pabx')).toEqual(want);
    expect(await billingRows(t, 'pabx')).toEqual(expectedBilling(sim, 2024, 1));
  });

  it('never has two reports running on one PABX while two connectors backfill it at once', async () => {
    const [a, b] = await Promise.all([runBackfill(t, 'twin-a', FROM, TO), runBackfill(t, 'twin-b', FROM, TO)]);
    const stats = shared.stats();
    expect(stats.maxConcurrency).toBe(1);
    // No request was ever refused for the billing lock: they queued on our side.
    expect(stats.retries).toBe(0);
    expect(stats.reports).toBe(2 * 3 * 2); // per connector: 3 days × (allcalls + outsummary)
    const reports = shared.requests.filter((r) => r.result === 'success' && /\/rest\/call\//.test(r.path));
    expect(reports).toHaveLength(12);
    await drained(t);

    const expected = callIds(shared.expectedCalls(FIRST_DAY, LAST_DAY));
    for (const id of ['twin-a', 'twin-b']) {
      expect((await callRows(t, id)).map((r) => r.call_id)).toEqual(expected);
      expect(await billingRows(t, id)).toEqual(expectedBilling(shared, 2024, 1));
    }
    expect(a.records).toBe(b.records);
  });

  it('waits out a billing lock held by someone else, and all data still lands', async () => {
    locked.lockNext(4);
    const r = await runBackfill(t, 'locked', new Date('2024-01-31T00:00:00Z'), TO);
    expect(locked.stats().retries).toBe(4);
    expect(locked.requests.filter((q) => q.result === 'retry')).toHaveLength(4);
    const expected = locked.expectedCalls(LAST_DAY);
    expect(r.records).toBe(expected.length + locked.companies.length);
    await drained(t);
    const rows = await callRows(t, 'locked');
    expect(rows.map((x) => x.call_id)).toEqual(callIds(expected));
    expect(rows).toEqual(
      expected
        .map((c) => expectedRow(c, 'locked'))
        .sort((x, y) => String(x.call_id).localeCompare(String(y.call_id)))
        .map((x) => ({ ...x, cost_tenths: null })),
    );
    expect(await billingRows(t, 'locked')).toEqual(expectedBilling(locked, 2024, 1));
  });
});

describe('ipcortex end to end: bad credentials stop one connector, the other runs on', () => {
  const SECRET = 'Wr0ng-Secret-7391';
  let t: TestService;
  let sim: IpcortexSimulator;

  beforeAll(async () => {
    sim = await startSimulator({ seed: 21, callsPerDay: 6, timezone: ZONE });
    // No cursors: the Poller reads each connector once at start (yesterday and the day before).
    t = await startTestService({
      connectors: [connector('bad', sim, { password: SECRET }), connector('good', sim, { lookback_days: 1 })],
    });
  });
  afterAll(async () => {
    await t?.stop();
    await sim?.close();
  });

  it('reports the refused login on the stopped connector without the secret, and lands the other one', async () => {
    const bad = await until('bad to stop', async () =>
      t.service.status.get('bad')?.state === 'stopped' ? t.service.status.get('bad') : undefined,
    );
    expect(bad.last_error_code).toBe('VENDOR_AUTH');
    expect(bad.last_error).toMatch(/login as "billing" refused/);
    expect(bad.last_error).toMatch(/bad username or password/);
    expect(bad.last_error).not.toContain(SECRET);
    const good = await until('good to finish', async () => {
      const s = t.service.status.get('good');
      return s?.state === 'ok' ? s : undefined;
    });
    const yesterday = DateTime.now().setZone(ZONE).minus({ days: 1 });
    const days = [yesterday.minus({ days: 1 }).toFormat('yyyy-MM-dd'), yesterday.toFormat('yyyy-MM-dd')];
    expect(good.cursor).toEqual({ day: days[1] });
    expect(good.last_error).toBeNull();
    await drained(t);

    const expected = sim.expectedCalls(days[0]!, days[1]);
    const rows = await callRows(t, 'good');
    expect(rows.map((r) => r.call_id)).toEqual(callIds(expected));
    const sample = expected.filter((_, i) => i % 3 === 0);
    const got = new Map(rows.map((r) => [r.call_id, r]));
    for (const c of sample) {
      // allcalls carries no cost on this PABX; and outside January started_local may differ from UTC.
      const { started_local: _l, ...want }: Record<string, unknown> = { ...expectedRow(c, 'good'), cost_tenths: null };
      const { started_local: _g, ...have } = got.get(String(c.acctid))!;
      expect(have).toEqual(want);
    }
    // The summary of each month the run touched (one month, or two on the 1st of a month).
    const months = [...new Set(days.map((d) => d.slice(0, 7)))];
    const billing = await billingRows(t, 'good');
    const wantBilling = months.flatMap((m) => expectedBilling(sim, Number(m.slice(0, 4)), Number(m.slice(5, 7))));
    const key = (r: Record<string, unknown>) => `${String(r.month)}|${String(r.company)}|${String(r.device_id)}`;
    expect(billing.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      wantBilling.sort((a, b) => key(a).localeCompare(key(b))),
    );
    expect(await t.query(`SELECT call_id FROM {db}.calls FINAL WHERE connector_id = 'bad'`)).toEqual([]);
    // Stopped stays stopped: the failure was counted once, and the status says why.
    expect(t.service.status.get('bad')).toMatchObject({ state: 'stopped', errors: 1, produced: 0 });
    // The secret never reached the logs' source either: the admin status says the same.
    const status = (await (await t.admin('/status')).json()) as {
      connectors: { id: string; state: string; last_error: string }[];
    };
    const viaAdmin = status.connectors.find((c) => c.id === 'bad')!;
    expect(viaAdmin.state).toBe('stopped');
    expect(JSON.stringify(status)).not.toContain(SECRET);
  });
});
