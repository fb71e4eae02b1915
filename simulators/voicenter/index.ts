/**
 * A Voicenter simulator: the Call Log (CDR) API at `/hub/cdr/` (POST-JSON or GET), with its
 * documented limits and errors, and a notifier that POSTs CDR notifications of the same calls.
 * Errors come as Voicenter sends them: `ERROR_NUMBER` in the body (HTTP 200 unless
 * `httpErrorStatus` is set, then the body's STATUS_CODE).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cdrsOfDay, type SimCdr } from './data.js';
import { formEncode, notificationOf } from './notify.js';

export interface VoicenterSimOptions {
  port?: number;
  host?: string;
  /** Seed of the generated calls. */
  seed?: number;
  /** Calls per UTC day (a transferred or two-leg call gives two or three CDRs). */
  callsPerDay?: number;
  /** The API code the simulator accepts. */
  code?: string;
  /** Most CDRs in one response (Voicenter: 10,000). */
  maxReturn?: number;
  /** What a fuller window gets: the first `maxReturn` with the true TOTAL_HITS, or error 3. */
  overLimit?: 'cap' | 'error';
  /** Requests accepted per sliding minute; more get error 1. */
  requestsPerMinute?: number;
  /** Addresses allowed to call the API; others get error 4. Unset: all. */
  allowIps?: string[];
  /** Longest date range of one request in days; longer gets error 5. */
  maxRangeDays?: number;
  httpErrorStatus?: boolean;
  /** Clock (ms), so that tests with virtual time agree with the rate limit. */
  now?: () => number;
}

export interface SimRequest {
  method: string;
  remote: string;
  body: Record<string, unknown>;
  errorNumber: number;
  returned: number;
}

export interface NotifyOptions {
  /** The ingest URL, e.g. http://127.0.0.1:8080/ingest/voicenter/vc?token=… */
  target: string;
  callIds?: string[];
  /** Notifies the first `count` CDRs of `day` (default: the day of today). */
  count?: number;
  day?: string;
  format?: 'json' | 'form';
}

const ERRORS: Record<number, [string, number]> = {
  1: ['Request limit exceeded. Please try again later.', 403],
  2: ['Authorization failed.', 403],
  3: ['CDR limit exceeded.', 403],
  4: ['IP address %s is not trusted.', 403],
  5: ['Date range invalid.', 404],
};

/** Response keys, by the lowercase name a request may use (`Targetextension` → `TargetExtension`). */
const FIELD_KEYS = new Map(
  [
    'CallerNumber',
    'TargetNumber',
    'Date',
    'DateEpoch',
    'Duration',
    'CallID',
    'Type',
    'CdrType',
    'DialStatus',
    'DialStatus2',
    'TargetExtension',
    'CallerExtension',
    'DID',
    'QueueName',
    'RecordURL',
    'RecordExpect',
    'Price',
    'RingTime',
    'RepresentativeName',
    'RepresentativeCode',
    'UserName',
    'UserId',
    'DTMFData',
    'CustomData',
    'DepartmentName',
    'DepartmentId',
    'TargetPrefixName',
  ].map((k) => [k.toLowerCase(), k]),
);

export async function startSimulator(opts: VoicenterSimOptions = {}) {
  const seed = opts.seed ?? 1;
  const callsPerDay = opts.callsPerDay ?? 300;
  const code = opts.code ?? 'sim-voicenter-code';
  const maxReturn = opts.maxReturn ?? 10_000;
  const perMinute = opts.requestsPerMinute ?? 30;
  const now = opts.now ?? Date.now;
  const stamps: number[] = [];
  const forced: number[] = [];
  const requests: SimRequest[] = [];
  const dayCache = new Map<string, SimCdr[]>();

  const day = (d: string): SimCdr[] => {
    let cdrs = dayCache.get(d);
    if (!cdrs) dayCache.set(d, (cdrs = cdrsOfDay(seed, d, callsPerDay)));
    return cdrs;
  };
  /** Every CDR with fromEpoch ≤ time ≤ toEpoch (seconds), in time order. */
  const between = (fromEpoch: number, toEpoch: number): SimCdr[] => {
    const out: SimCdr[] = [];
    // A day's calls may spill past its midnight: start one day early.
    for (let t = (Math.floor(fromEpoch / 86_400) - 1) * 86_400; t <= toEpoch; t += 86_400) {
      for (const c of day(new Date(t * 1000).toISOString().slice(0, 10)))
        if (c.epoch >= fromEpoch && c.epoch <= toEpoch) out.push(c);
    }
    return out;
  };

  const answer = (res: ServerResponse, payload: Record<string, unknown>, status = 200): void => {
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
    });
    res.end(JSON.stringify(payload));
  };
  const fail = (res: ServerResponse, n: number, remote: string): void => {
    const [text, statusCode] = ERRORS[n] ?? ['Unknown error.', 500];
    answer(
      res,
      {
        ERROR_NUMBER: n,
        ERROR_DESCRIPTION: text.replace('%s', remote),
        STATUS_CODE: statusCode,
        CDR_LIST: [],
      },
      opts.httpErrorStatus ? statusCode : 200,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://sim');
    if (!/^\/hub\/cdr\/?$/.test(url.pathname) || (req.method !== 'POST' && req.method !== 'GET')) {
      res.writeHead(404).end();
      return;
    }
    const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
    let body: Record<string, unknown>;
    try {
      body =
        req.method === 'GET'
          ? fromQuery(url)
          : ((JSON.parse((await readAll(req)).toString('utf8')) as Record<string, unknown>) ?? {});
    } catch {
      answer(
        res,
        {
          ERROR_NUMBER: -1,
          ERROR_DESCRIPTION: 'Bad request.',
          STATUS_CODE: 400,
        },
        400,
      );
      return;
    }
    const record = (errorNumber: number, returned = 0): void => {
      requests.push({
        method: req.method ?? '',
        remote,
        body,
        errorNumber,
        returned,
      });
    };
    const search = (body.search ?? {}) as Record<string, unknown>;
    const refusal =
      forced.length > 0
        ? forced.shift()!
        : opts.allowIps && !opts.allowIps.includes(remote)
          ? 4
          : body.code !== code
            ? 2
            : 0;
    if (refusal !== 0) {
      record(refusal);
      fail(res, refusal, remote);
      return;
    }
    const t = now();
    while (stamps.length > 0 && t - stamps[0]! >= 60_000) stamps.shift();
    if (stamps.length >= perMinute) {
      record(1);
      fail(res, 1, remote);
      return;
    }
    stamps.push(t);
    const from = wireEpoch(search.fromdate ?? body.fromdate);
    const to = wireEpoch(search.todate ?? body.todate);
    if (from === null || to === null || from > to || to - from > (opts.maxRangeDays ?? 31) * 86_400) {
      record(5);
      fail(res, 5, remote);
      return;
    }
    let hits = between(from, to);
    if (typeof search.callID === 'string') hits = hits.filter((c) => c.record.CallID === search.callID);
    if (Array.isArray(search.cdrTypes))
      hits = hits.filter((c) => (search.cdrTypes as unknown[]).includes(c.record.CdrType));
    const sort = (Array.isArray(body.sort) ? body.sort[0] : undefined) as { order?: string } | undefined;
    if (String(sort?.order ?? 'desc').toLowerCase() === 'desc') hits = [...hits].reverse();
    if (hits.length > maxReturn && opts.overLimit === 'error') {
      record(3);
      fail(res, 3, remote);
      return;
    }
    const fields = requested(body.fields);
    const list = hits.slice(0, maxReturn).map((c) => project(c.record, fields));
    record(0, list.length);
    answer(res, {
      ERROR_NUMBER: 0,
      ERROR_DESCRIPTION: 'OK',
      STATUS_CODE: 200,
      TOTAL_HITS: hits.length,
      RETURN_HITS: list.length,
      CDR_LIST: list,
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';

  return {
    /** The Call Log URL, for a connector's `base_url`. */
    url: `http://${host}:${port}/hub/cdr/`,
    code,
    requests,
    /** Makes the next requests fail with these error numbers, in order. */
    failNext(...errorNumbers: number[]): void {
      forced.push(...errorNumbers);
    },
    /** Full CDRs (all fields) whose time is in [from, to), in time order. */
    cdrsBetween(from: Date, to: Date): Record<string, unknown>[] {
      return between(Math.ceil(from.getTime() / 1000), Math.ceil(to.getTime() / 1000) - 1).map((c) => c.record);
    },
    /** The notification Voicenter would send for each CDR of [from, to). */
    notificationsBetween(from: Date, to: Date): Record<string, unknown>[] {
      return between(Math.ceil(from.getTime() / 1000), Math.ceil(to.getTime() / 1000) - 1).map(notificationOf);
    },
    /** POSTs CDR notifications to `target`; returns each reply. */
    async notify(o: NotifyOptions): Promise<{ callId: string; status: number; body: string }[]> {
      const dayStr = o.day ?? new Date(now()).toISOString().slice(0, 10);
      const dayStart = Date.parse(`${dayStr}T00:00:00Z`) / 1000;
      let cdrs = between(dayStart, dayStart + 86_399);
      if (o.callIds) {
        const wanted = new Set(o.callIds);
        cdrs = cdrs.filter((c) => wanted.has(String(c.record.CallID)));
      } else cdrs = cdrs.slice(0, o.count ?? 10);
      const replies = [];
      for (const [i, cdr] of cdrs.entries()) {
        const n = notificationOf(cdr, i);
        const form = o.format === 'form';
        const res = await fetch(o.target, {
          method: 'POST',
          headers: {
            'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
          },
          body: form ? formEncode(n) : JSON.stringify(n),
        });
        replies.push({
          callId: String(n.ivruniqueid),
          status: res.status,
          body: await res.text(),
        });
      }
      return replies;
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}

export type VoicenterSimulator = Awaited<ReturnType<typeof startSimulator>>;

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The GET form: `?code=…&fromdate=…&todate=…&fields=Date&Fields=Type…`. */
function fromQuery(url: URL): Record<string, unknown> {
  const q = url.searchParams;
  const fields = [...q.entries()].filter(([k]) => k.toLowerCase() === 'fields').map(([, v]) => v);
  return {
    code: q.get('code'),
    format: q.get('format'),
    fields,
    search: { fromdate: q.get('fromdate'), todate: q.get('todate') },
  };
}

/** `2024-06-01T00:00:00` or `2024-06-01T00:00` (GMT 0, a trailing Z tolerated) → epoch seconds. */
function wireEpoch(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z?$/.test(v)) return null;
  const ms = Date.parse(v.endsWith('Z') ? v : `${v}Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

function requested(fields: unknown): string[] {
  const list = Array.isArray(fields) ? fields.map(String) : [];
  const keys = list.map((f) => FIELD_KEYS.get(f.toLowerCase())).filter((k): k is string => k !== undefined);
  return keys.length > 0 ? [...new Set(keys)] : ['CallID', 'Date', 'Type', 'DialStatus', 'Duration'];
}

function project(record: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) out[f] = record[f];
  return out;
}
