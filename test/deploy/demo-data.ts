/**
 * A week of hand-generated, demo-like call records for two tenants (a Yeastar S PBX in London and a
 * Voicenter account in Israel) and a few dead letters, deterministic (seeded), to run the
 * dashboards' queries against. Every panel must find rows in it: queues, trunks, costs, unknown
 * vendor statuses, repeated deliveries, leg-1 setup records and numbers nobody called back.
 */
import { prng } from '../../simulators/core/prng.js';

export const WEEK_START = Date.UTC(2025, 2, 3); // Monday 3 March 2025, 00:00 UTC

type Row = Record<string, unknown>;

const rng = prng;

const ts = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

interface Tenant {
  tenant: string;
  source: string;
  connector_id: string;
  offsetHours: number;
  trunks: string[];
  queues: string[];
  currency: string;
  country: string;
}

const TENANTS: Tenant[] = [
  {
    tenant: 'acme',
    source: 'yeastar-s',
    connector_id: 'acme-hq',
    offsetHours: 0,
    trunks: ['sip-gamma', 'sip-bt'],
    queues: ['sales', 'support'],
    currency: 'GBP',
    country: '+44',
  },
  {
    tenant: 'globex',
    source: 'voicenter',
    connector_id: 'globex-vc',
    offsetHours: 2,
    trunks: ['vc-main'],
    queues: ['service'],
    currency: 'ILS',
    country: '+972',
  },
];

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

function weighted<T extends string>(r: () => number, table: readonly (readonly [T, number])[]): T {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [v, w] of table) {
    x -= w;
    if (x <= 0) return v;
  }
  return table[table.length - 1]![0];
}

const VENDOR_STATUS: Record<string, string> = {
  answered: 'ANSWERED',
  no_answer: 'NO ANSWER',
  busy: 'BUSY',
  cancelled: 'CANCEL',
  abandoned: 'ABANDONED',
  voicemail: 'VOICEMAIL',
  failed: 'FAILED',
  system: 'TE',
  unknown: 'ODDSTATE',
};

function call(
  t: Tenant,
  id: string,
  startedMs: number,
  f: Partial<Row> & { direction: string; disposition: string },
): Row {
  const ring = (f.ring_seconds as number | undefined) ?? 5;
  const talk = f.disposition === 'answered' ? ((f.talk_seconds as number | undefined) ?? 60) : 0;
  return {
    tenant: t.tenant,
    source: t.source,
    connector_id: t.connector_id,
    call_id: id,
    parent_call_id: '',
    leg: 0,
    started_at: ts(startedMs),
    started_local: ts(startedMs + t.offsetHours * 3_600_000),
    answered_at: talk > 0 ? ts(startedMs + ring * 1000) : null,
    ended_at: ts(startedMs + (ring + talk) * 1000),
    caller: '',
    callee: '',
    caller_e164: '',
    callee_e164: '',
    caller_ext: '',
    callee_ext: '',
    trunk: '',
    did: '',
    queue: '',
    agent: '',
    vendor_status: VENDOR_STATUS[f.disposition] ?? f.disposition.toUpperCase(),
    vendor_type: f.direction === 'inbound' ? 'Inbound' : f.direction === 'outbound' ? 'Outbound' : 'Internal',
    ring_seconds: ring,
    total_seconds: ring + talk,
    queue_wait_seconds: null,
    cost: null,
    currency: '',
    recording: '',
    ingested_at: ts(startedMs + (ring + talk) * 1000 + 30_000),
    ...f,
    talk_seconds: talk,
  };
}

/** About 400 calls over the week starting WEEK_START, plus the same calls re-delivered a second time. */
export function demoCalls(seed = 42): { calls: Row[]; redelivered: Row[] } {
  const r = rng(seed);
  const calls: Row[] = [];
  const outside = (t: Tenant, n: number): string => `${t.country}20794${String(600 + n).padStart(4, '0')}`;
  for (let i = 0; i < 400; i++) {
    const t = i % 3 === 2 ? TENANTS[1]! : TENANTS[0]!;
    const day = Math.floor(r() * 7);
    const localHour = weighted(r, [
      ['8', 1],
      ['9', 3],
      ['10', 5],
      ['11', 5],
      ['12', 2],
      ['13', 3],
      ['14', 5],
      ['15', 4],
      ['16', 3],
      ['17', 2],
      ['19', 1],
      ['22', 0.3],
    ] as const);
    const startedMs =
      WEEK_START + day * 86_400_000 + (Number(localHour) - t.offsetHours) * 3_600_000 + Math.floor(r() * 3_600_000);
    const direction = weighted(r, [
      ['inbound', 50],
      ['outbound', 35],
      ['internal', 12],
      ['unknown', 3],
    ] as const);
    const ext = `10${String(1 + Math.floor(r() * 12)).padStart(2, '0')}`;
    const other = `10${String(1 + Math.floor(r() * 12)).padStart(2, '0')}`;
    const number = outside(t, Math.floor(r() * 30));
    const id = `${t.connector_id}-${i}`;
    if (direction === 'inbound') {
      const inQueue = r() < 0.6;
      const disposition = weighted(
        r,
        inQueue
          ? [
              ['answered', 70],
              ['abandoned', 18],
              ['voicemail', 5],
              ['unknown', 2],
              ['failed', 2],
            ]
          : [
              ['answered', 60],
              ['no_answer', 15],
              ['busy', 8],
              ['cancelled', 8],
              ['voicemail', 4],
              ['system', 3],
              ['failed', 2],
            ],
      );
      const wait = Math.floor(r() * 60);
      calls.push(
        call(t, id, startedMs, {
          direction,
          disposition,
          caller: number.replace('+', '00'),
          callee: disposition === 'answered' ? ext : '',
          caller_e164: number,
          callee_ext: disposition === 'answered' || !inQueue ? ext : '',
          trunk: pick(r, t.trunks),
          did: `${t.country}2070000000`,
          queue: inQueue ? pick(r, t.queues) : '',
          agent: inQueue && disposition === 'answered' ? ext : '',
          queue_wait_seconds: inQueue ? (r() < 0.1 ? null : wait) : null,
          ring_seconds: 2 + Math.floor(r() * 20),
          talk_seconds: 10 + Math.floor(r() * 400),
        }),
      );
    } else if (direction === 'outbound') {
      const disposition = weighted(r, [
        ['answered', 60],
        ['no_answer', 20],
        ['busy', 10],
        ['failed', 8],
        ['unknown', 2],
      ]);
      const talk = 5 + Math.floor(r() * 600);
      const priced = t.tenant === 'globex' || r() < 0.5;
      calls.push(
        call(t, id, startedMs, {
          direction,
          disposition,
          caller: ext,
          callee: number.replace('+', '00'),
          callee_e164: number,
          caller_ext: ext,
          trunk: pick(r, t.trunks),
          ring_seconds: 3 + Math.floor(r() * 25),
          talk_seconds: talk,
          cost: priced && disposition === 'answered' ? Math.round(talk * 0.0021 * 1e6) / 1e6 : null,
          currency: priced ? t.currency : '',
        }),
      );
    } else if (direction === 'internal') {
      const disposition = weighted(r, [
        ['answered', 80],
        ['no_answer', 15],
        ['busy', 5],
      ]);
      calls.push(
        call(t, id, startedMs, {
          direction,
          disposition,
          caller: ext,
          callee: other,
          caller_ext: ext,
          callee_ext: other,
          ring_seconds: 3,
          talk_seconds: 5 + Math.floor(r() * 200),
        }),
      );
    } else {
      calls.push(call(t, id, startedMs, { direction, disposition: 'system', caller: 'anonymous', callee: 's' }));
    }
  }
  // A caller nobody called back, missed three times on Tuesday and Thursday.
  const acme = TENANTS[0]!;
  for (const [k, day, hour] of [
    [0, 1, 9],
    [1, 1, 15],
    [2, 3, 11],
  ] as const) {
    calls.push(
      call(acme, `acme-hq-unreturned-${k}`, WEEK_START + day * 86_400_000 + hour * 3_600_000, {
        direction: 'inbound',
        disposition: 'no_answer',
        caller: '00442079469999',
        caller_e164: '+442079469999',
        callee_ext: '1001',
        trunk: 'sip-gamma',
        ring_seconds: 30,
      }),
    );
  }
  // A caller who was missed and then called back within the hour: not listed.
  calls.push(
    call(acme, 'acme-hq-returned-miss', WEEK_START + 2 * 86_400_000 + 10 * 3_600_000, {
      direction: 'inbound',
      disposition: 'no_answer',
      caller_e164: '+442079468888',
      callee_ext: '1002',
      trunk: 'sip-bt',
    }),
  );
  calls.push(
    call(acme, 'acme-hq-returned-back', WEEK_START + 2 * 86_400_000 + 10.5 * 3_600_000, {
      direction: 'outbound',
      disposition: 'answered',
      callee_e164: '+442079468888',
      caller_ext: '1002',
      trunk: 'sip-bt',
      cost: 0.12,
      currency: 'GBP',
    }),
  );
  // A click-to-call pair: the leg-1 ring to the extension is not an attempt, leg 2 is the call.
  calls.push(
    call(acme, 'acme-hq-c2c', WEEK_START + 4 * 86_400_000 + 14 * 3_600_000, {
      leg: 1,
      direction: 'internal',
      disposition: 'answered',
      callee_ext: '1003',
    }),
  );
  calls.push(
    call(acme, 'acme-hq-c2c', WEEK_START + 4 * 86_400_000 + 14 * 3_600_000 + 5000, {
      leg: 2,
      parent_call_id: 'acme-hq-c2c',
      direction: 'outbound',
      disposition: 'answered',
      caller_ext: '1003',
      callee_e164: '+442079460700',
      trunk: 'sip-gamma',
    }),
  );
  // The vendor re-sent some reports: same identity, a later ingested_at. FINAL keeps one.
  const redelivered = calls
    .filter((_, i) => i % 17 === 0)
    .map((c) => ({ ...c, ingested_at: ts(Date.parse(`${String(c.ingested_at)}Z`) + 3_600_000) }));
  return { calls, redelivered };
}

/** Dead letters of every stage over the week, for the pipeline dashboard. */
export function demoDeadLetters(seed = 7): Row[] {
  const r = rng(seed);
  const kinds = [
    {
      connector_id: 'acme-hq',
      source: 'yeastar-s',
      stage: 'transform',
      error_code: 'INVALID_DURATION',
      error: 'callduraction: not a duration: "four"',
      payload: '{"action":"NewCdr","callduraction":"four"}',
    },
    {
      connector_id: 'acme-hq',
      source: 'yeastar-s',
      stage: 'ingest',
      error_code: 'UNPARSEABLE_BODY',
      error: 'the body is not JSON nor form-encoded',
      payload: '{"action":"NewCdr",',
    },
    {
      connector_id: 'globex-vc',
      source: 'voicenter',
      stage: 'transform',
      error_code: 'MISSING_FIELD',
      error: 'CallID is missing',
      payload: '{"DialStatus":"ANSWER"}',
    },
    {
      connector_id: 'globex-vc',
      source: 'voicenter',
      stage: 'sink',
      error_code: 'WAREHOUSE_REJECTED',
      error: 'Cannot parse input: expected DateTime64',
      payload: '{"call_id":"x"}',
    },
  ];
  const rows: Row[] = [];
  for (let i = 0; i < 30; i++) {
    const k = kinds[i % kinds.length]!;
    const at = WEEK_START + Math.floor(r() * 7 * 86_400_000);
    rows.push({
      id: `dl-${i}`,
      at: ts(at),
      ...k,
      origin_topic: `callhouse.raw.${k.source}`,
      origin_key: `k-${i}`,
      origin_headers: '',
      replayed: i === 29 ? 1 : 0,
      version: ts(at),
    });
  }
  return rows;
}
