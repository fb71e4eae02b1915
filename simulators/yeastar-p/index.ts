/**
 * A Yeastar P-Series PBX as far as callhouse talks to it: OpenAPI tokens (get, refresh, revoke,
 * with expiry and the 8-token limit), call report download (sync, and async with event 30027
 * posted to a webhook), and file download. Errors come back as the PBX sends them: HTTP 200 with
 * `{errcode, errmsg}`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DisplayFormat } from '../../transforms/core/times.js';
import {
  REPORT_TYPES,
  REPORT_TYPE_NAMES,
  BILLING_TYPES,
  type ReportType,
} from '../../connectors/yeastar-p/report-types.js';
import { buildReport, type PbxSettings } from './reports.js';
import { hash32, prng } from './directory.js';

export interface YeastarPSimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  clientId?: string;
  clientSecret?: string;
  displayFormat?: DisplayFormat;
  clock?: '12' | '24';
  timezone?: string;
  durationFormat?: 'seconds' | 'hhmmss';
  detailRowsPerHour?: number;
  accessTtlSeconds?: number;
  refreshTtlSeconds?: number;
  apiVersions?: string[];
  /** Where event 30027 is POSTed after an asynchronous request. */
  webhookUrl?: string;
  asyncDelayMs?: number;
  /** Name download URLs on this origin instead of the PBX's own (a hostile or broken PBX). */
  downloadOrigin?: string;
  /** Whether call rates are set (billing reports fail with 70106 without them). */
  callRates?: boolean;
  now?: () => number;
  sn?: string;
}

export type Endpoint = 'get_token' | 'refresh_token' | 'call_report/download' | 'download';

export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  userAgent: string;
}

const ERRMSG: Record<number, string> = {
  [-2]: 'INTERNAL SERVER ERROR',
  [-1]: 'FAILURE',
  0: 'SUCCESS',
  2: 'PROCESSING',
  10001: 'INTERFACE NOT EXISTED',
  10003: 'API VERSION UNSUPPORTED',
  10004: 'TOKEN EXPIRED',
  10005: 'ACCESS DENIED',
  40002: 'PARAMETER ERROR',
  60001: 'DATA NOT FOUND',
  70004: 'ACCOUNT IP BLOCKED',
  70082: 'OVERLOAD_TASK_RUNNING',
  70087: 'IP FORBIDDEN',
  70106: 'RATE_NOT_EXISTED',
};

const answer = (errcode: number, extra: Record<string, unknown> = {}) => ({
  errcode,
  errmsg: ERRMSG[errcode] ?? 'FAILURE',
  ...extra,
});

export async function startSimulator(opts: YeastarPSimulatorOptions = {}) {
  const now = opts.now ?? Date.now;
  const settings: PbxSettings = {
    displayFormat: opts.displayFormat ?? 'MM/DD/YYYY',
    clock: opts.clock ?? '24',
    timezone: opts.timezone ?? 'UTC',
    durationFormat: opts.durationFormat ?? 'seconds',
    seed: opts.seed ?? 1,
    detailRowsPerHour: opts.detailRowsPerHour ?? 2,
  };
  const clientId = opts.clientId ?? 'sim-client-id';
  const clientSecret = opts.clientSecret ?? 'sim-client-secret';
  const accessTtl = opts.accessTtlSeconds ?? 1800;
  const refreshTtl = opts.refreshTtlSeconds ?? 86_400;
  const versions = opts.apiVersions ?? ['v1.0', 'v2.0'];
  let webhookUrl = opts.webhookUrl;
  const tokenRand = prng(hash32(`tokens|${settings.seed}`));
  const randomText = (n: number) =>
    Array.from(
      { length: n },
      () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(tokenRand() * 62)],
    ).join('');

  const access = new Map<string, number>(); // token → valid until (ms)
  const refresh = new Map<string, number>();
  const files = new Map<string, { csv: Buffer; until: number }>();
  const failures = new Map<Endpoint, { errcode: number; times: number }[]>();
  const requests: RequestRecord[] = [];
  const counts = { get_token: 0, refresh_token: 0, report_requests: 0, downloads: 0, webhook_posts: 0 };
  let failedLogins = 0;
  let downloadId = 0;
  const pending = new Set<Promise<void>>();

  function injected(endpoint: Endpoint): number | undefined {
    const list = failures.get(endpoint);
    const next = list?.[0];
    if (!next) return undefined;
    if (--next.times <= 0) list.shift();
    return next.errcode;
  }

  function issueTokens() {
    const a = randomText(32);
    const r = randomText(32);
    access.set(a, now() + accessTtl * 1000);
    refresh.set(r, now() + refreshTtl * 1000);
    // At most 8 live access tokens per application: the oldest one stops working.
    while (access.size > 8) access.delete(access.keys().next().value!);
    return answer(0, {
      access_token_expire_time: accessTtl,
      access_token: a,
      refresh_token_expire_time: refreshTtl,
      refresh_token: r,
    });
  }

  function validAccess(token: string | undefined): boolean {
    const until = token ? access.get(token) : undefined;
    return until !== undefined && now() < until;
  }

  function makeFile(type: ReportType, query: Record<string, string>): { file: string; url: string } {
    const report = buildReport(type, query, settings);
    const stamp = new Date(now()).toISOString().replace(/\D/g, '').slice(0, 14);
    const file = `${REPORT_TYPES[type].title.replace(/[^A-Za-z0-9]+/g, '')}-download-${stamp}-${randomText(16)}.csv`;
    files.set(file, { csv: report.csv, until: now() + 30 * 60_000 });
    const path = `/api/download/${file}`;
    return { file, url: opts.downloadOrigin ? `${opts.downloadOrigin}${path}` : path };
  }

  async function postReady(type: ReportType, query: Record<string, string>): Promise<void> {
    await new Promise((r) => setTimeout(r, opts.asyncDelayMs ?? 50));
    if (!webhookUrl) return;
    const made = makeFile(type, query);
    const event = {
      type: 30027,
      sn: opts.sn ?? '3631A2124XXX',
      msg: {
        key: 'report_download',
        result: 'success',
        file: made.file,
        download_resource_url: made.url,
        error: '',
        download_id: ++downloadId,
      },
    };
    counts.webhook_posts++;
    await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Yeastar' },
      body: JSON.stringify(event),
    }).catch(() => undefined);
  }

  function reportDownload(query: Record<string, string>) {
    counts.report_requests++;
    if (!validAccess(query.access_token)) return answer(10004);
    const inj = injected('call_report/download');
    if (inj !== undefined) return answer(inj);
    const type = query.type as ReportType;
    if (!REPORT_TYPE_NAMES.includes(type)) return answer(40002);
    const spec = REPORT_TYPES[type];
    for (const [p, need] of Object.entries(spec.params)) if (need === 'required' && !query[p]) return answer(40002);
    if (spec.time === 'time' && !query.time) return answer(40002);
    if (BILLING_TYPES.includes(type) && opts.callRates === false) return answer(70106);
    if (query.is_async === '1') {
      const job = postReady(type, query);
      pending.add(job);
      void job.finally(() => pending.delete(job));
      return answer(2);
    }
    const made = makeFile(type, query);
    return answer(0, { file: made.file, download_resource_url: made.url });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://pbx');
    const query = Object.fromEntries(url.searchParams);
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      userAgent: req.headers['user-agent'] ?? '',
    });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type });
      res.end(Buffer.isBuffer(body) ? body : JSON.stringify(body));
    };
    if (req.headers['user-agent'] !== 'OpenAPI') return send(200, answer(10005));
    if (failedLogins >= 5) return send(200, answer(70004));

    const file = /^\/api\/download\/([^/]+)$/.exec(url.pathname);
    if (file && req.method === 'GET') {
      counts.downloads++;
      if (!validAccess(query.access_token)) return send(200, answer(10004));
      const inj = injected('download');
      if (inj !== undefined) return send(200, answer(inj));
      const f = files.get(decodeURIComponent(file[1]!));
      if (!f || now() > f.until) return send(404, 'Not Found', 'text/plain');
      return send(200, f.csv, 'text/csv; charset=utf-8');
    }

    const api = /^\/openapi\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (!api) return send(404, 'Not Found', 'text/plain');
    if (!versions.includes(api[1]!)) return send(200, answer(10003));
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return send(200, answer(40001));
    }
    switch (`${req.method} ${api[2]}`) {
      case 'POST get_token': {
        counts.get_token++;
        const inj = injected('get_token');
        if (inj !== undefined) return send(200, answer(inj));
        if (body.username !== clientId || body.password !== clientSecret) {
          failedLogins++;
          return send(200, answer(10005));
        }
        failedLogins = 0;
        return send(200, issueTokens());
      }
      case 'POST refresh_token': {
        counts.refresh_token++;
        const inj = injected('refresh_token');
        if (inj !== undefined) return send(200, answer(inj));
        const r = String(body.refresh_token ?? '');
        const until = refresh.get(r);
        if (until === undefined || now() >= until) return send(200, answer(10004));
        refresh.delete(r);
        return send(200, issueTokens());
      }
      case 'GET del_token':
        access.delete(query.access_token ?? '');
        return send(200, answer(0));
      case 'GET call_report/download':
        return send(200, reportDownload(query));
      default:
        return send(200, answer(10001));
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    settings,
    requests,
    counts,
    /** Every access token stops working now (as after 30 minutes); refresh tokens still work. */
    expireAccessTokens(): void {
      for (const k of access.keys()) access.set(k, 0);
    },
    /** Access and refresh tokens all stop working: only a new get_token helps. */
    expireAllTokens(): void {
      access.clear();
      refresh.clear();
    },
    /** The next `times` requests to `endpoint` answer `errcode`. */
    failNext(endpoint: Endpoint, errcode: number, times = 1): void {
      const list = failures.get(endpoint) ?? [];
      list.push({ errcode, times });
      failures.set(endpoint, list);
    },
    setWebhookUrl(url: string | undefined): void {
      webhookUrl = url;
    },
    /** Resolves when every pending 30027 post has been sent. */
    async idle(): Promise<void> {
      await Promise.all([...pending]);
    },
    async close(): Promise<void> {
      await Promise.all([...pending]);
      const closed = new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
      server.closeAllConnections();
      await closed;
    },
  };
}

export type YeastarPSimulator = Awaited<ReturnType<typeof startSimulator>>;
