/**
 * A session with the Yeastar S-Series PBX API, used to download call recordings.
 * The PBX answers every request with HTTP 200 and {"status":"Success"|"Failed","errno":"…"}; a
 * token dies after 30 idle minutes, so we send a heartbeat after 25, and log in again when the PBX
 * says the token is unknown or timed out.
 */
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { CallhouseError } from '../../runtime/errors.js';
import { registerSecret, registerShortLivedSecret, rotateSecret } from '../../runtime/redact.js';
import { saveBody } from '../core/download.js';
import { vendorFetch, vendorResponse } from '../core/http.js';
import type { YeastarSApiConfig } from './config.js';

export const HEARTBEAT_MS = 25 * 60_000;

/** errno → what callhouse does about it (VENDORS.md §1 list). */
const ERRNO: Record<string, { code: CallhouseError['code']; text: string }> = {
  '10002': { code: 'VENDOR_ERROR', text: 'XML is not supported' },
  '10003': { code: 'VENDOR_ERROR', text: 'request not supported by this PBX API version' },
  '10004': { code: 'VENDOR_ERROR', text: 'a required parameter is blank' },
  '10005': { code: 'VENDOR_ERROR', text: 'callid not found' },
  '10006': { code: 'VENDOR_ERROR', text: 'extension does not exist' },
  '10007': { code: 'VENDOR_ERROR', text: 'call does not exist' },
  '20000': { code: 'VENDOR_ERROR', text: 'the API accepts JSON only' },
  '20001': { code: 'VENDOR_ERROR', text: 'the API accepts POST only' },
  '20002': {
    code: 'VENDOR_FORBIDDEN',
    text: 'login locked: too many failed logins from this address; the PBX unlocks it after 10 minutes, check the API username and password first',
  },
  '20003': { code: 'VENDOR_AUTH', text: 'login refused: wrong API username or password (PBX Settings → API)' },
  '20007': { code: 'VENDOR_ERROR', text: 'request body is blank' },
  '20008': { code: 'VENDOR_ERROR', text: 'wrong report port in login' },
  '20012': {
    code: 'VENDOR_ERROR',
    text: 'recording download refused: the random string is invalid, used, or older than 30 s',
  },
  '20014': { code: 'VENDOR_ERROR', text: 'recording does not exist' },
  '20019': { code: 'VENDOR_ERROR', text: 'CDR time format error' },
  '20020': { code: 'VENDOR_ERROR', text: 'CDR random string invalid' },
  '20021': { code: 'VENDOR_ERROR', text: 'CDR does not exist' },
  '30003': { code: 'VENDOR_UNAVAILABLE', text: 'the PBX API service (apisrv) is not running' },
};
/** No token, an unknown token, or one that timed out: log in again and retry once. */
const SESSION_LOST = new Set(['20004', '20005', '20006']);

export interface ApiClientOptions {
  now?: () => number;
  heartbeatMs?: number;
  timeoutMs?: number;
}

export class YeastarSApiClient {
  private token: string | null = null;
  private lastInteraction = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly heartbeatMs: number;

  constructor(
    private readonly cfg: YeastarSApiConfig,
    private readonly opts: ApiClientOptions = {},
  ) {
    registerSecret(cfg.password);
    this.now = opts.now ?? Date.now;
    this.heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  }

  async login(): Promise<void> {
    const body: Record<string, string> = {
      username: this.cfg.username,
      password: createHash('md5').update(this.cfg.password).digest('hex'),
      port: this.cfg.port,
    };
    if (this.cfg.report_version) body.version = this.cfg.report_version;
    if (this.cfg.report_url) Object.assign(body, { url: this.cfg.report_url, urltag: '1' });
    const res = await this.post('login', body, null);
    const token = res.token;
    if (typeof token !== 'string' || token === '')
      throw new CallhouseError('VENDOR_ERROR', 'yeastar-s login: no token in the answer');
    // Each login replaces the session's token: only the newest two are kept for redaction.
    rotateSecret(`yeastar-s:${this.cfg.base_url}:${this.cfg.username}:token`, token);
    this.token = token;
    this.lastInteraction = this.now();
  }

  /** Extends the session by 30 minutes (and re-points the report URL when one is configured). */
  async heartbeat(): Promise<void> {
    const body: Record<string, string> = {};
    if (this.cfg.report_url) Object.assign(body, { url: this.cfg.report_url, urlflag: '1' });
    await this.authed('heartbeat', body, { heartbeat: false });
  }

  async logout(): Promise<void> {
    this.stopHeartbeat();
    if (this.token === null) return;
    try {
      await this.post('logout', {}, this.token);
    } finally {
      this.token = null;
    }
  }

  /** Sends a heartbeat every 25 minutes in the background (unref'd: it never keeps the process up). */
  startHeartbeat(onError: (e: CallhouseError) => void = () => undefined): void {
    this.stopHeartbeat();
    this.timer = setInterval(() => {
      this.heartbeat().catch((e: unknown) => onError(e as CallhouseError));
    }, this.heartbeatMs);
    this.timer.unref();
  }

  stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Downloads a recording named by a NewCdr into `dir` and returns the file's path. The random
   * string the PBX hands out is single-use and lives 30 s, so it is used at once.
   */
  async downloadRecording(recording: string, dir: string = this.cfg.recordings_dir): Promise<string> {
    const name = basename(recording);
    if (name !== recording || name === '' || name.startsWith('.')) {
      throw new CallhouseError(
        'INVALID_VALUE',
        `recording name ${JSON.stringify(recording.slice(0, 80))} is not a plain file name`,
      );
    }
    const random = await this.authed('recording/get_random', { recording }, { heartbeat: true });
    if (typeof random.random !== 'string')
      throw new CallhouseError('VENDOR_ERROR', 'yeastar-s get_random: no random in the answer');
    // Single-use and dead after 30 s at the PBX; kept a while longer for errors that name it late.
    registerShortLivedSecret(random.random, 10 * 60_000);
    const q = new URLSearchParams({ recording, random: random.random, token: this.token ?? '' });
    const url = `${this.base()}/recording/download?${q}`;
    const res = await vendorResponse(url, { timeoutMs: this.opts.timeoutMs ?? 120_000 });
    this.lastInteraction = this.now();
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      // The PBX's answer instead of a file: an error (a JSON file would be a recording of no call).
      const text = await res.text();
      failIfFailed(parseJson(text.slice(0, 64 * 1024)), 'recording/download');
      throw new CallhouseError('VENDOR_ERROR', 'yeastar-s recording/download: a JSON answer instead of the file');
    }
    const path = join(dir, name);
    await saveBody(res, url, path, this.cfg.max_recording_bytes);
    return path;
  }

  /** A request that needs a session: logs in when needed, heartbeats when idle, re-logs once. */
  private async authed(action: string, body: unknown, o: { heartbeat: boolean }): Promise<Record<string, unknown>> {
    if (this.token === null) await this.login();
    else if (o.heartbeat && this.now() - this.lastInteraction >= this.heartbeatMs) await this.heartbeat();
    try {
      return await this.post(action, body, this.token);
    } catch (e) {
      if (!(e instanceof CallhouseError) || e.code !== 'VENDOR_TOKEN_EXPIRED') throw e;
      await this.login();
      return this.post(action, body, this.token);
    }
  }

  private async post(action: string, body: unknown, token: string | null): Promise<Record<string, unknown>> {
    const url = `${this.base()}/${action}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
    const res = await vendorFetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.opts.timeoutMs ?? 15_000,
    });
    const parsed = failIfFailed(res.json(), action);
    this.lastInteraction = this.now();
    return parsed;
  }

  private base(): string {
    return `${this.cfg.base_url.replace(/\/+$/, '')}/api/${this.cfg.version}`;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function failIfFailed(value: unknown, action: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null)
    throw new CallhouseError('VENDOR_ERROR', `yeastar-s ${action}: answer is not a JSON object`);
  const v = value as Record<string, unknown>;
  if (v.status === 'Success') return v;
  const errno = String(v.errno ?? '');
  if (SESSION_LOST.has(errno)) {
    throw new CallhouseError('VENDOR_TOKEN_EXPIRED', `yeastar-s ${action}: session lost (errno ${errno})`);
  }
  const known = ERRNO[errno];
  throw new CallhouseError(
    known?.code ?? 'VENDOR_ERROR',
    `yeastar-s ${action}: ${known?.text ?? 'failed'} (errno ${errno || 'none'})`,
    {
      details: { errno },
    },
  );
}
