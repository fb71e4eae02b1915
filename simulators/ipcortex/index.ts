/**
 * A simulated IPCortex PABX billing REST API: session login (cookie Red60urne) or API keys in the
 * body, the four call reports, and the single-threaded billing engine that answers `retry` to a
 * report asked for while another one runs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { buildCompanies, callsOfDay, type SimCall, type SimCompany } from './data.js';
import {
  ScopeError,
  allcalls,
  incalls,
  monthTotals,
  outcalls,
  outsummary,
  scopeDays,
  type DeviceTotal,
  type ReportWorld,
} from './reports.js';

export interface SimUser {
  username: string;
  password: string;
  /** Whether the user has System-Admin / Billing Call-Summary permission. */
  billing?: boolean;
}

export interface IpcortexSimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** The PABX's own zone: its report days are local days. */
  timezone?: string;
  callsPerDay?: number;
  users?: SimUser[];
  apiKeys?: string[];
  /** Time each report takes, during which the billing lock is held. */
  processingDelayMs?: number;
  /** Sessions end after this long, or after this many reports (whichever first). */
  sessionTtlMs?: number;
  sessionMaxRequests?: number;
  /** PABX older than 6.2.16: no allcalls. */
  allcalls?: boolean;
  allcallsCost?: boolean;
}

export interface RequestLog {
  path: string;
  scope: Record<string, unknown> | undefined;
  result: string;
  at: number;
}

export interface IpcortexSimulator {
  url: string;
  close(): Promise<void>;
  companies: SimCompany[];
  /** Every call of the local days from..to inclusive (`YYYY-MM-DD`). */
  expectedCalls(from: string, to?: string): SimCall[];
  /** Month totals (tenths of a penny) per company and device. */
  expectedSummary(year: number, month: number): Map<string, Map<string, DeviceTotal>>;
  /** The next `n` reports find the billing engine locked by "another user". */
  lockNext(n: number): void;
  /** Ends every open session, as a PABX restart would. */
  expireSessions(): void;
  stats(): {
    maxConcurrency: number;
    reports: number;
    retries: number;
    logins: number;
    logouts: number;
    openSessions: number;
  };
  requests: RequestLog[];
}

const LOCKED = { result: 'retry', message: 'Another user has billing locked. Please try again in a moment.' };
const REPORTS = { incalls, outcalls, allcalls, outsummary } as const;

interface Session {
  user: SimUser;
  expiresAt: number;
  remaining: number;
}

export async function startSimulator(opts: IpcortexSimulatorOptions = {}): Promise<IpcortexSimulator> {
  const world: ReportWorld = {
    seed: opts.seed ?? 1,
    zone: opts.timezone ?? 'Europe/London',
    callsPerDay: Math.min(opts.callsPerDay ?? 24, 600),
    companies: buildCompanies(opts.seed ?? 1),
    allcallsCost: opts.allcallsCost ?? false,
  };
  const users = opts.users ?? [{ username: 'billing', password: 'billing-pass', billing: true }];
  const apiKeys = new Set(opts.apiKeys ?? ['sim-api-key-0001']);
  const sessions = new Map<string, Session>();
  const requests: RequestLog[] = [];
  const counters = { maxConcurrency: 0, reports: 0, retries: 0, logins: 0, logouts: 0 };
  let inFlight = 0;
  let busy = false;
  let lockedFor = 0;

  const newSession = (user: SimUser): string => {
    const id = randomBytes(12).toString('hex');
    sessions.set(id, {
      user,
      expiresAt: Date.now() + (opts.sessionTtlMs ?? 3_600_000),
      remaining: opts.sessionMaxRequests ?? Number.POSITIVE_INFINITY,
    });
    return id;
  };

  /** Who is asking: inline key or credentials in the body, else the session cookie. */
  const identify = (req: IncomingMessage, body: Record<string, unknown>): SimUser | string => {
    const auth = body.auth as Record<string, unknown> | undefined;
    if (auth && typeof auth === 'object') {
      if (typeof auth.key === 'string')
        return apiKeys.has(auth.key)
          ? { username: 'api-key', password: '', billing: true }
          : 'Authentication failed: invalid auth key';
      const user = users.find((u) => u.username === auth.username && u.password === auth.password);
      return user ?? 'Authentication failed: bad username or password';
    }
    const sid = /(?:^|;\s*)Red60urne=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!sid) return 'Authentication required: please log in';
    const s = sessions.get(sid);
    if (!s || s.expiresAt <= Date.now() || s.remaining <= 0) {
      sessions.delete(sid);
      return 'Session expired: please log in again';
    }
    s.remaining -= 1;
    return s.user;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const raw = await readBody(req);
    let body: Record<string, unknown> = {};
    if (raw.length > 0) {
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
      } catch {
        return send(res, 400, { result: 'fail', message: 'Invalid JSON request' });
      }
    }
    const scope = (body.scope ?? undefined) as Record<string, unknown> | undefined;
    const log = (result: string) => requests.push({ path, scope, result, at: Date.now() });

    if (req.method !== 'POST') return send(res, 405, { result: 'fail', message: 'POST required' });

    if (path === '/rest/auth') {
      const who = identify(req, body);
      if (typeof who === 'string' || !body.auth) {
        log('fail');
        return send(res, 200, { result: 'fail', message: typeof who === 'string' ? who : 'No credentials given' });
      }
      counters.logins += 1;
      const sid = newSession(who);
      log('success');
      res.setHeader('set-cookie', `Red60urne=${sid}; Path=/; HttpOnly`);
      return send(res, 200, {
        result: 'success',
        user: {
          id: 101,
          login: who.username,
          name: 'Billing User',
          company: 'default',
          home: 'default',
          session: sid,
          perms: { billing: who.billing !== false },
        },
      });
    }
    if (path === '/rest/auth/logout') {
      const sid = /(?:^|;\s*)Red60urne=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (sid) sessions.delete(sid);
      counters.logouts += 1;
      log('success');
      return send(res, 200, { result: 'success' });
    }

    const command = /^\/rest\/call\/(incalls|outcalls|allcalls|outsummary)$/.exec(path)?.[1] as
      keyof typeof REPORTS | undefined;
    if (!command || (command === 'allcalls' && opts.allcalls === false)) {
      log('notfound');
      return send(res, 404, { result: 'fail', message: 'Unknown command' });
    }
    const who = identify(req, body);
    if (typeof who === 'string') {
      log('fail');
      return send(res, 200, { result: 'fail', message: who });
    }
    if (who.billing === false) {
      log('fail');
      return send(res, 200, {
        result: 'fail',
        message: 'Permission denied: requires System-Admin or Billing Call-Summary',
      });
    }

    inFlight += 1;
    counters.maxConcurrency = Math.max(counters.maxConcurrency, inFlight);
    try {
      if (lockedFor > 0 || busy) {
        if (lockedFor > 0) lockedFor -= 1;
        counters.retries += 1;
        log('retry');
        return send(res, 200, LOCKED);
      }
      busy = true;
      try {
        if (opts.processingDelayMs) await new Promise((r) => setTimeout(r, opts.processingDelayMs));
        const values = REPORTS[command](world, scope ?? {});
        counters.reports += 1;
        log('success');
        return send(res, 200, { result: 'success', values });
      } catch (e) {
        if (!(e instanceof ScopeError)) throw e;
        log('fail');
        return send(res, 200, { result: 'fail', message: e.message });
      } finally {
        busy = false;
      }
    } finally {
      inFlight -= 1;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { result: 'fail', message: String((e as Error).message) }));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
    companies: world.companies,
    expectedCalls: (from, to = from) =>
      scopeDaysBetween(from, to).flatMap((d) => callsOfDay(world.companies, d, world)),
    expectedSummary: (year, month) => monthTotals(world, year, month),
    lockNext: (n) => {
      lockedFor = n;
    },
    expireSessions: () => sessions.clear(),
    stats: () => ({ ...counters, openSessions: sessions.size }),
    requests,
  };
}

function scopeDaysBetween(from: string, to: string): string[] {
  const [y, m, d] = from.split('-').map(Number) as [number, number, number];
  const span = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  return span > 0 ? scopeDays({ year: y, month: m, day: d, days: span }) : [];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
