/**
 * The OpenAPI client: tokens (get, refresh before expiry, get anew when refused) and requests with
 * `User-Agent: OpenAPI` and the token in the query string. The PBX allows few live tokens per app
 * (8 on Cloud), so one token pair per connector is kept in the poller's session and reused.
 */
import type { PollContext } from '../core/contract.js';
import { vendorFetch, sameOriginUrl, type VendorResponse } from '../core/http.js';
import { CallhouseError } from '../../runtime/errors.js';
import { redactUrl, registerSecret, rotateSecret } from '../../runtime/redact.js';
import type { YeastarPConfig } from './config.js';
import { asAnswer, errcodeError, OK, TOKEN_EXPIRED, type ApiAnswer } from './errcodes.js';

const USER_AGENT = 'OpenAPI';
/** Refresh this long before the access token's end, so that no request races the expiry. */
const REFRESH_MARGIN_MS = 120_000;

interface TokenPair {
  access: string;
  accessUntil: number;
  refresh: string;
  refreshUntil: number;
}

type ClientContext = Pick<PollContext<YeastarPConfig>, 'config' | 'session' | 'now' | 'signal' | 'logger'>;

export class OpenApiClient {
  private readonly cfg: YeastarPConfig;
  constructor(private readonly ctx: ClientContext) {
    this.cfg = ctx.config;
    registerSecret(this.cfg.client_secret);
  }

  private get sessionKey(): string {
    return `yeastar-p:${this.cfg.id}:token`;
  }

  private get tokens(): TokenPair | undefined {
    return this.ctx.session.get(this.sessionKey) as TokenPair | undefined;
  }

  private set tokens(t: TokenPair | undefined) {
    if (t) this.ctx.session.set(this.sessionKey, t);
    else this.ctx.session.delete(this.sessionKey);
  }

  apiUrl(path: string, params: Record<string, string> = {}): URL {
    const url = new URL(`/openapi/${this.cfg.api_version}/${path}`, this.cfg.base_url);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url;
  }

  /** A valid access token: the kept one, a refreshed one, or a new one. */
  async accessToken(): Promise<string> {
    const now = this.ctx.now().getTime();
    const t = this.tokens;
    if (t && now < t.accessUntil - REFRESH_MARGIN_MS) return t.access;
    if (t && now < t.refreshUntil - REFRESH_MARGIN_MS) {
      try {
        return await this.obtain('refresh_token', { refresh_token: t.refresh });
      } catch (e) {
        // A refused refresh token means a new login; anything else (PBX down) is the caller's.
        if (!(e instanceof CallhouseError) || e.code !== 'VENDOR_TOKEN_EXPIRED') throw e;
        this.ctx.logger.info({ connector: this.cfg.id }, 'refresh token refused; getting a new token');
      }
    }
    return this.obtain('get_token', { username: this.cfg.client_id, password: this.cfg.client_secret });
  }

  private async obtain(path: 'get_token' | 'refresh_token', body: Record<string, string>): Promise<string> {
    this.tokens = undefined;
    const url = this.apiUrl(path).toString();
    const res = await vendorFetch(url, {
      method: 'POST',
      headers: { 'User-Agent': USER_AGENT, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: this.ctx.signal,
    });
    const answer = asAnswer(jsonOf(res, path), path);
    if (answer.errcode !== OK) {
      if (path === 'refresh_token')
        throw new CallhouseError('VENDOR_TOKEN_EXPIRED', `refresh_token: errcode ${answer.errcode}`);
      const err = errcodeError(answer, 'get_token');
      // A login refused for a reason the errcode does not name is taken for bad credentials.
      if (err.code !== 'VENDOR_ERROR' || [10001, 10002, 10003].includes(answer.errcode)) throw err;
      throw new CallhouseError('VENDOR_AUTH', `${err.message} (check client_id and client_secret)`, {
        details: err.details,
      });
    }
    const access = typeof answer.access_token === 'string' ? answer.access_token : '';
    const refresh = typeof answer.refresh_token === 'string' ? answer.refresh_token : '';
    if (!access) throw new CallhouseError('VENDOR_UNAVAILABLE', `${path}: no access_token in the answer`);
    // A new pair replaces the connector's last one: only the newest two of each are kept for redaction.
    rotateSecret(`yeastar-p:${this.cfg.id}:access`, access);
    rotateSecret(`yeastar-p:${this.cfg.id}:refresh`, refresh);
    const now = this.ctx.now().getTime();
    this.tokens = {
      access,
      accessUntil: now + seconds(answer.access_token_expire_time, 1800) * 1000,
      refresh,
      refreshUntil: refresh ? now + seconds(answer.refresh_token_expire_time, 86_400) * 1000 : 0,
    };
    return access;
  }

  /**
   * GET an API path. A token the PBX calls expired (10004) is replaced once and the request
   * repeated; other errcodes are returned for the caller to judge.
   */
  async get(path: string, params: Record<string, string>): Promise<ApiAnswer> {
    for (let attempt = 0; ; attempt++) {
      const url = this.apiUrl(path, params);
      url.searchParams.set('access_token', await this.accessToken());
      const res = await vendorFetch(url.toString(), {
        headers: { 'User-Agent': USER_AGENT },
        signal: this.ctx.signal,
      });
      const answer = asAnswer(jsonOf(res, path), path);
      if (answer.errcode === TOKEN_EXPIRED && attempt === 0) {
        this.expireAccess();
        continue;
      }
      return answer;
    }
  }

  /** Downloads a file the PBX named, only from the configured PBX. */
  async download(resourceUrl: string): Promise<Buffer> {
    const target = sameOriginUrl(this.cfg.base_url, resourceUrl);
    for (let attempt = 0; ; attempt++) {
      const url = new URL(target);
      url.searchParams.set('access_token', await this.accessToken());
      const res = await vendorFetch(url.toString(), {
        headers: { 'User-Agent': USER_AGENT },
        signal: this.ctx.signal,
        timeoutMs: 120_000,
      });
      if (res.status === 404 || res.status === 410) {
        // Download links live 30 minutes: a vanished file is asked for again.
        throw new CallhouseError(
          'VENDOR_UNAVAILABLE',
          `${redactUrl(url.toString())}: HTTP ${res.status} (link expired?)`,
          {
            retriable: true,
          },
        );
      }
      if (res.status >= 400) {
        throw new CallhouseError('VENDOR_ERROR', `${redactUrl(url.toString())}: HTTP ${res.status}`);
      }
      const answer = errorAnswer(res);
      if (!answer) return res.body;
      if (answer.errcode === TOKEN_EXPIRED && attempt === 0) {
        this.expireAccess();
        continue;
      }
      throw errcodeError(answer, 'download');
    }
  }

  private expireAccess(): void {
    const t = this.tokens;
    if (t) this.tokens = { ...t, accessUntil: 0 };
  }
}

function jsonOf(res: VendorResponse, what: string): unknown {
  if (res.status === 401 || res.status === 403) {
    throw new CallhouseError('VENDOR_FORBIDDEN', `${what}: HTTP ${res.status} from the PBX`);
  }
  if (res.status >= 400) throw new CallhouseError('VENDOR_ERROR', `${what}: HTTP ${res.status} from the PBX`);
  return res.json();
}

/** A download that is not a file but an `{errcode…}` answer (e.g. an expired token). */
function errorAnswer(res: VendorResponse): ApiAnswer | undefined {
  const head = res.body.subarray(0, 200).toString('utf8').trimStart();
  if (!head.startsWith('{') || !head.includes('errcode')) return undefined;
  try {
    const answer = asAnswer(JSON.parse(res.text()) as unknown, 'download');
    return answer.errcode === OK ? undefined : answer;
  } catch {
    return undefined;
  }
}

function seconds(v: unknown, fallback: number): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : fallback;
}
