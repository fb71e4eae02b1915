/**
 * The admin listener (`CALLHOUSE_ADMIN_PORT`, loopback): `GET /status` and read-only `POST /sql`
 * for the CLI, plus /healthz, /readyz and /metrics for orchestrators and Prometheus.
 *
 * Loopback is not a boundary: every page open in a browser on the host can send requests there,
 * and a page whose name resolves to 127.0.0.1 (DNS rebinding) can even read the answers. So:
 * - every request must name the listener in its `Host` header (loopback names, the bound address,
 *   or `admin.allowed_hosts`), which a rebinding page cannot do;
 * - every route but the three probes needs `Authorization: Bearer <token>`, which a page can only
 *   send after a CORS preflight, and preflights are refused (no route answers OPTIONS, no answer
 *   carries an Access-Control-* header);
 * - `POST /sql` reads `application/json` bodies only, so a cross-origin form or text/plain POST
 *   (the kinds a browser sends without asking) is refused before anything is parsed.
 * All three are checked before the body is read or a route runs.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { asCallhouseError } from './errors.js';
import { commonRoutes, tokenMatches, type HttpDeps } from './http.js';

export interface AdminDeps extends Pick<HttpDeps, 'metrics' | 'ready' | 'logger'> {
  status(): Promise<unknown>;
  sql(query: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }>;
  /** The token every route but the probes requires. */
  token: string;
  /** Host names besides loopback's and the bound address that requests may name (a proxy's). */
  allowedHosts?: string[];
  /** The address the listener binds. */
  host?: string;
}

/** Answered to anyone who names the listener: they tell whether it runs, nothing of its data. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** Who is calling, once authenticated. A console session cookie would be a second kind. */
export interface AdminCaller {
  via: 'bearer';
}

/**
 * The one place that decides who calls. Only the Authorization header counts: a token in the
 * query string ends up in logs and browser history, and a cookie is sent by the browser on a
 * page's behalf, so neither proves that the caller holds the token.
 */
export function authenticate(req: FastifyRequest, token: string): AdminCaller | undefined {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string') return undefined;
  const m = /^Bearer ([^\s]+)$/i.exec(auth.trim());
  return m && tokenMatches(m[1], token) ? { via: 'bearer' } : undefined;
}

/** The host name of a Host header, lower case, without port or trailing dot; undefined if malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  let name: string;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || (h.length > end + 1 && !/^:\d+$/.test(h.slice(end + 1)))) return undefined;
    name = h.slice(1, end);
  } else {
    const parts = h.split(':');
    if (parts.length > 2 || (parts.length === 2 && !/^\d+$/.test(parts[1]!))) return undefined;
    name = parts[0]!;
  }
  name = name.replace(/\.$/, '');
  return name === '' ? undefined : name;
}

export function hostAllowList(
  bound: string | undefined,
  extra: string[] = [],
): (header: string | undefined) => boolean {
  const names = new Set(
    [...LOOPBACK_NAMES, ...(bound ? [bound] : []), ...extra].map((n) => n.toLowerCase().replace(/^\[|\]$/g, '')),
  );
  return (header) => {
    const name = hostName(header);
    return name !== undefined && names.has(name);
  };
}

export function buildAdminServer(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const hostAllowed = hostAllowList(deps.host ?? '127.0.0.1', deps.allowedHosts);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    if (!hostAllowed(req.headers.host)) {
      refused(deps.logger, req, 'its Host header names another site');
      return reply.code(403).send({ error: 'host not allowed' });
    }
    // A CORS preflight, or anything else that asks before sending: nothing here answers it.
    if (req.method === 'OPTIONS')
      return reply.code(405).header('allow', 'GET, HEAD, POST').send({ error: 'method not allowed' });
    const route = req.routeOptions.url;
    if ((req.method === 'GET' || req.method === 'HEAD') && route !== undefined && PROBES.has(route)) return;
    if (!authenticate(req, deps.token)) {
      refused(deps.logger, req, 'no valid admin token');
      return unauthorized(reply);
    }
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  app.setErrorHandler((err, _req, reply) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415)
      return reply.code(415).send({ error: 'POST /sql takes a JSON body (Content-Type: application/json)' });
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: 'body too large' });
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ error: 'bad request' });
    deps.logger.warn({ error_code: e.code }, `admin request failed: ${e.message}`);
    return reply.code(500).send({ error: 'request failed' });
  });

  commonRoutes(app, deps);
  app.get('/status', async () => deps.status());
  app.post('/sql', async (req, reply) => {
    const body = req.body as { query?: unknown } | undefined;
    const query = typeof body?.query === 'string' ? body.query : undefined;
    if (!query) return reply.code(400).send({ error: 'expected {"query": "SELECT …"}' });
    try {
      return await deps.sql(query);
    } catch (e) {
      const err = asCallhouseError(e);
      return reply.code(err.code === 'USAGE' ? 400 : 422).send({ error: err.message });
    }
  });
  return app;
}

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="callhouse-admin"')
    .send({ error: 'unauthorized: send Authorization: Bearer <admin token>' });
}

function refused(logger: Logger, req: FastifyRequest, why: string): void {
  logger.warn({ method: req.method, path: req.url.split('?')[0]?.slice(0, 100) }, `admin request refused: ${why}`);
}
