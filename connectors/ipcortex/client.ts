/**
 * The PABX REST API: POST JSON to /rest/<section>/<verb>, answers `{"result": "success" | "fail" |
 * "retry", …}`. The billing engine is single-threaded: a report asked for while another runs is
 * answered `retry`, so every request of every connector on one PABX goes through one Mutex, and a
 * `retry` is waited out with back-off and jitter.
 */
import { CallhouseError } from '../../runtime/errors.js';
import { registerSecret } from '../../runtime/redact.js';
import type { PollContext } from '../core/contract.js';
import { vendorFetch, type VendorResponse } from '../core/http.js';
import { withFileLock } from '../core/file-lock.js';
import { Mutex, withRetry } from '../core/retry.js';
import { join } from 'node:path';
import type { IpcortexConfig } from './config.js';

export const SESSION_COOKIE = 'Red60urne';

/** One lock per PABX, shared by every connector in this process that reads it. */
const pabxLocks = new Map<string, Mutex>();

export function pabxLock(baseUrl: string): Mutex {
  const key = baseKey(baseUrl);
  let lock = pabxLocks.get(key);
  if (!lock) pabxLocks.set(key, (lock = new Mutex()));
  return lock;
}

export type ReportCommand = 'allcalls' | 'incalls' | 'outcalls' | 'outsummary';

export class IpcortexClient {
  private readonly config: IpcortexConfig;
  private readonly lock: Mutex;
  private readonly sessionKey: string;

  constructor(private readonly ctx: PollContext<IpcortexConfig>) {
    this.config = ctx.config;
    this.lock = pabxLock(this.config.base_url);
    this.sessionKey = `ipcortex:${baseKey(this.config.base_url)}:${this.config.username ?? ''}`;
    registerSecret(this.config.key);
    registerSecret(this.config.password);
  }

  /** Runs one report and returns its `values`; waits out the billing lock. */
  async report(command: ReportCommand, scope: Record<string, unknown>): Promise<unknown> {
    const { lock_retries, retry_base_ms, retry_max_ms } = this.config;
    // One report at a time per PABX: in this process (the mutex) and across the callhouse
    // processes sharing this data directory (the lock file), e.g. a backfill beside the service.
    const locks = this.ctx.dataDir ? join(this.ctx.dataDir, 'locks') : undefined;
    return this.lock.run(() =>
      withFileLock(
        locks,
        `ipcortex-${baseKey(this.config.base_url)}`,
        (ms) => this.ctx.sleep(ms),
        async () => {
          try {
            return await withRetry(() => this.reportOnce(command, scope), {
              retries: lock_retries,
              baseMs: retry_base_ms,
              maxMs: retry_max_ms,
              sleep: (ms) => this.ctx.sleep(ms),
              onRetry: (e, attempt, delay) =>
                this.ctx.logger.warn({ command, attempt, delayMs: Math.round(delay), error_code: e.code }, e.message),
            });
          } catch (e) {
            if (e instanceof CallhouseError && e.code === 'VENDOR_LOCKED') {
              throw new CallhouseError(
                'VENDOR_LOCKED',
                `${command}: billing engine still locked after ${lock_retries + 1} attempts: ${e.message}`,
                { details: { command } },
              );
            }
            throw e;
          }
        },
      ),
    );
  }

  /** Logs in (session auth) to prove the credentials; an API key cannot be checked without a report. */
  async check(): Promise<void> {
    if (this.config.key !== undefined) return;
    await this.lock.run(() => this.login());
  }

  /** Ends the session, if one is open; failures do not matter (sessions also expire). */
  async close(): Promise<void> {
    const cookie = this.ctx.session.get(this.sessionKey);
    if (typeof cookie !== 'string') return;
    this.ctx.session.delete(this.sessionKey);
    await this.lock
      .run(() => this.post('rest/auth/logout', {}, cookie))
      .catch((e: unknown) => this.ctx.logger.debug({ err: (e as Error).message }, 'ipcortex logout failed'));
  }

  private async reportOnce(command: ReportCommand, scope: Record<string, unknown>): Promise<unknown> {
    const body = { type: 'cdr', scope };
    if (this.config.key !== undefined) {
      return this.values(command, await this.post(`rest/call/${command}`, { ...body, auth: this.keyAuth() }), false);
    }
    let cookie = this.ctx.session.get(this.sessionKey);
    const fresh = typeof cookie !== 'string';
    if (fresh) cookie = await this.login();
    const res = await this.post(`rest/call/${command}`, body, cookie as string);
    try {
      // Refused right after a fresh login: the credentials lack something, not the session.
      return this.values(command, res, !fresh);
    } catch (e) {
      // A session that expired since the last request: log in again once, transparently.
      if (fresh || !(e instanceof CallhouseError) || e.code !== 'VENDOR_TOKEN_EXPIRED') throw e;
      this.ctx.logger.info({ command }, 'ipcortex session expired; logging in again');
      const again = await this.login();
      return this.values(command, await this.post(`rest/call/${command}`, body, again), false);
    }
  }

  private async login(): Promise<string> {
    this.ctx.session.delete(this.sessionKey);
    const res = await this.post('rest/auth/', {
      auth: { type: 'auth', username: this.config.username, password: this.config.password },
    });
    const answer = parseAnswer('login', res);
    if (answer.result !== 'success') {
      throw new CallhouseError(
        'VENDOR_AUTH',
        `login as ${JSON.stringify(this.config.username)} refused: ${message(answer)}`,
      );
    }
    const cookie = sessionCookie(res.headers);
    if (!cookie) throw new CallhouseError('VENDOR_ERROR', `login succeeded but no ${SESSION_COOKIE} cookie was set`);
    this.ctx.session.set(this.sessionKey, cookie);
    return cookie;
  }

  private keyAuth(): Record<string, string> {
    return { type: 'auth', key: this.config.key! };
  }

  /** Interprets a report answer. `sessionAuth`: an auth failure may just be an expired session. */
  private values(command: string, res: VendorResponse, sessionAuth: boolean): unknown {
    if ((res.status === 401 || res.status === 403) && sessionAuth) {
      throw new CallhouseError('VENDOR_TOKEN_EXPIRED', `${command}: HTTP ${res.status}`);
    }
    const answer = parseAnswer(command, res);
    if (answer.result === 'success') return answer.values;
    if (answer.result === 'retry') {
      throw new CallhouseError('VENDOR_LOCKED', message(answer), { details: { command } });
    }
    const why = message(answer);
    if (/permission|not permitted|forbidden|denied/i.test(why)) {
      throw new CallhouseError('VENDOR_FORBIDDEN', `${command}: ${why} (needs System-Admin or Billing Call-Summary)`);
    }
    if (/auth|log ?in|session|credential|password|\bkey\b/i.test(why) || res.status === 401 || res.status === 403) {
      if (sessionAuth) throw new CallhouseError('VENDOR_TOKEN_EXPIRED', `${command}: ${why}`);
      throw new CallhouseError('VENDOR_AUTH', `${command}: ${why}`);
    }
    throw new CallhouseError('VENDOR_ERROR', `${command}: ${why}`, { details: { command } });
  }

  private async post(path: string, body: unknown, cookie?: string): Promise<VendorResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (cookie) headers.cookie = `${SESSION_COOKIE}=${cookie}`;
    return vendorFetch(endpoint(this.config.base_url, path), {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      timeoutMs: this.config.request_timeout_ms,
      signal: this.ctx.signal,
    });
  }
}

interface Answer {
  result?: unknown;
  message?: unknown;
  values?: unknown;
}

function parseAnswer(command: string, res: VendorResponse): Answer {
  if (res.status === 404) {
    throw new CallhouseError(
      'VENDOR_ERROR',
      `${command}: not found on this PABX (HTTP 404)${command === 'allcalls' ? '; allcalls needs 6.2.16+, use mode: inout' : ''}`,
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new CallhouseError('VENDOR_AUTH', `${command}: HTTP ${res.status}`);
  }
  if (res.status >= 400) throw new CallhouseError('VENDOR_ERROR', `${command}: HTTP ${res.status}`);
  const answer = res.json();
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
    throw new CallhouseError('VENDOR_ERROR', `${command}: answer is not a JSON object`);
  }
  return answer as Answer;
}

function message(a: Answer): string {
  return typeof a.message === 'string' && a.message !== '' ? a.message : `result ${JSON.stringify(a.result ?? null)}`;
}

function sessionCookie(headers: Headers): string | undefined {
  for (const line of headers.getSetCookie()) {
    const m = new RegExp(`^\\s*${SESSION_COOKIE}=([^;]*)`).exec(line);
    if (m && m[1]) return m[1];
  }
  return undefined;
}

function baseKey(baseUrl: string): string {
  const u = new URL(baseUrl);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/** `path` under base_url, which may itself carry a path prefix. */
function endpoint(baseUrl: string, path: string): string {
  return new URL(path, `${baseKey(baseUrl)}/`).toString();
}
