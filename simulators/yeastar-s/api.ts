/**
 * The Yeastar S-Series PBX API as documented: /api/{ver}/login, heartbeat, logout,
 * recording/get_random and recording/download. Every answer is HTTP 200 with
 * {"status":"Success"|"Failed","errno":"…"}, except a successful download (the file's bytes).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const API_VERSIONS = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.10', 'v2.0.0'];

export interface PbxApiOptions {
  username?: string;
  /** Plain password; the client sends its MD5. */
  password?: string;
  /** Idle time after which a token is dead (the PBX: 30 min without interaction). */
  tokenTtlMs?: number;
  /** Life of a download random (the PBX: 30 s, single use). */
  randomTtlMs?: number;
  /** Failed logins from one address before it is locked (the PBX: 5, for 10 min). */
  lockAfter?: number;
  lockMs?: number;
  /** Clock, so that tests can move time. */
  now?: () => number;
  recordings?: Record<string, Buffer>;
}

export interface PbxApiStats {
  login: number;
  heartbeat: number;
  logout: number;
  get_random: number;
  download: number;
  /** The last login body, as the PBX received it. */
  lastLogin: Record<string, unknown> | null;
}

interface Session {
  expires: number;
}

export class PbxApi {
  readonly stats: PbxApiStats = { login: 0, heartbeat: 0, logout: 0, get_random: 0, download: 0, lastLogin: null };
  readonly recordings: Map<string, Buffer>;
  private readonly sessions = new Map<string, Session>();
  private readonly randoms = new Map<string, { recording: string; expires: number }>();
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();
  private readonly injected: string[] = [];
  private readonly o: Required<Omit<PbxApiOptions, 'recordings'>>;

  constructor(opts: PbxApiOptions = {}) {
    this.o = {
      username: opts.username ?? 'api',
      password: opts.password ?? 'api-password',
      tokenTtlMs: opts.tokenTtlMs ?? 30 * 60_000,
      randomTtlMs: opts.randomTtlMs ?? 30_000,
      lockAfter: opts.lockAfter ?? 5,
      lockMs: opts.lockMs ?? 10 * 60_000,
      now: opts.now ?? Date.now,
    };
    this.recordings = new Map(Object.entries(opts.recordings ?? {}));
  }

  /** Kills every session now, as a PBX restart or 30 idle minutes would. */
  expireAllTokens(): void {
    for (const s of this.sessions.values()) s.expires = 0;
  }

  /** The next request(s) after login fail with this errno (e.g. '30003' apisrv not running). */
  injectErrno(errno: string, times = 1): void {
    for (let i = 0; i < times; i++) this.injected.push(errno);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const m = /^\/api\/([^/]+)\/(login|heartbeat|logout|recording\/get_random|recording\/download)$/.exec(url.pathname);
    if (!m || !API_VERSIONS.includes(m[1]!)) return failed(res, '10003');
    const action = m[2]!;
    const raw = await readBody(req);
    if (action === 'recording/download') {
      if (req.method !== 'GET') return failed(res, '20001');
      return this.download(res, url);
    }
    if (req.method !== 'POST') return failed(res, '20001');
    if (raw.trim() === '') return failed(res, '20007');
    let body: Record<string, unknown>;
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return failed(res, '20000');
      body = parsed as Record<string, unknown>;
    } catch {
      return failed(res, '20000');
    }
    if (action === 'login') return this.login(req, res, body);

    const auth = this.authorise(url);
    if (auth) return failed(res, auth);
    const injected = this.injected.shift();
    if (injected) return failed(res, injected);
    const token = url.searchParams.get('token')!;
    if (action === 'heartbeat') {
      this.stats.heartbeat++;
      return send(res, { status: 'Success' });
    }
    if (action === 'logout') {
      this.stats.logout++;
      this.sessions.delete(token);
      return send(res, { status: 'Success' });
    }
    this.stats.get_random++;
    const recording = typeof body.recording === 'string' ? body.recording : '';
    if (recording === '') return failed(res, '10004');
    if (!this.recordings.has(recording)) return failed(res, '20014');
    const random = randomBytes(16).toString('hex');
    this.randoms.set(random, { recording, expires: this.o.now() + this.o.randomTtlMs });
    return send(res, { status: 'Success', recording, random });
  }

  private login(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    this.stats.login++;
    this.stats.lastLogin = body;
    const ip = req.socket.remoteAddress ?? '';
    const now = this.o.now();
    const f = this.failures.get(ip) ?? { count: 0, lockedUntil: 0 };
    if (f.lockedUntil > now) return failed(res, '20002');
    const md5 = createHash('md5').update(this.o.password).digest('hex');
    if (body.username !== this.o.username || body.password !== md5) {
      f.count++;
      if (f.count >= this.o.lockAfter) {
        f.count = 0;
        f.lockedUntil = now + this.o.lockMs;
      }
      this.failures.set(ip, f);
      return failed(res, '20003');
    }
    this.failures.delete(ip);
    const token = randomBytes(16).toString('hex');
    this.sessions.set(token, { expires: now + this.o.tokenTtlMs });
    send(res, { status: 'Success', token });
  }

  /** '' when the token is good (and extends it: any interaction keeps a session alive). */
  private authorise(url: URL): string {
    const token = url.searchParams.get('token') ?? '';
    if (token === '') return '20005';
    const s = this.sessions.get(token);
    if (!s) return '20004';
    const now = this.o.now();
    if (s.expires <= now) return '20006';
    s.expires = now + this.o.tokenTtlMs;
    return '';
  }

  private download(res: ServerResponse, url: URL): void {
    const auth = this.authorise(url);
    if (auth) return failed(res, auth);
    this.stats.download++;
    const random = url.searchParams.get('random') ?? '';
    const recording = url.searchParams.get('recording') ?? '';
    const r = this.randoms.get(random);
    this.randoms.delete(random); // single use, even when the request is otherwise wrong
    if (!r || r.recording !== recording || r.expires <= this.o.now()) return failed(res, '20012');
    const file = this.recordings.get(recording);
    if (!file) return failed(res, '20014');
    res.writeHead(200, {
      'Content-Type': 'audio/x-wav',
      'Content-Length': file.length,
      'Content-Disposition': `attachment; filename="${recording}"`,
    });
    res.end(file);
  }
}

function send(res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function failed(res: ServerResponse, errno: string): void {
  send(res, { status: 'Failed', errno });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
