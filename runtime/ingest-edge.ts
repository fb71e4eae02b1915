/**
 * The ingest edge: everything decided about a request to /ingest before a byte of its body is
 * read. Fastify runs `onRequest` before it looks at the body, so the rate limit, the connector
 * look-up, the token, `allow_ips` and a declared length over the connector's limit all answer
 * from the request line and headers alone. A refused request with a body still on the wire is
 * answered with `Connection: close`, so the server closes the connection instead of reading the
 * rest. An unknown connector id does the same work as a wrong token (the rate limit and one token
 * comparison, against a secret of this process) and reads no more.
 *
 * The body itself is read by `readBody`, which stops at the connector's own `max_body_bytes`
 * (never the largest of all connectors) and counts the bytes it read per connector.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import type { ConnectorSpec, IngestSpec } from '../connectors/core/contract.js';
import { connectorSpec } from '../connectors/registry.js';
import { allowList } from './ip.js';
import type { Logger } from 'pino';
import { RateLimitedLog } from './logging.js';
import type { Metrics } from './metrics.js';
import { SourceLimiter } from './source-limiter.js';
import type { StatusBoard } from './status.js';

export interface Admitted {
  config: BaseConnectorConfig;
  spec: ConnectorSpec<BaseConnectorConfig> & { ingest: IngestSpec<BaseConnectorConfig> };
  /** The body limit of this connector. */
  limit: number;
}

export interface EdgeDeps {
  connectors: BaseConnectorConfig[];
  metrics: Metrics;
  status: StatusBoard;
  rateLimitPerSource?: number;
  /** Most sources with a rate-limit bucket of their own. */
  rateLimitSources?: number;
  /** The body limit of a connector (default its max_body_bytes; lower when Kafka takes less). */
  bodyLimit?(config: BaseConnectorConfig): number;
  /** Where refused tokens are reported, once per connector and source every few minutes. */
  logger?: Logger;
  tokenMatches(presented: string | undefined, expected: string): boolean;
  presentedToken(req: FastifyRequest): string | undefined;
}

/** What the edge admitted, for the body parser and the handler of the same request. */
const admitted = new WeakMap<IncomingMessage, Admitted>();

export function admittedOf(req: FastifyRequest): Admitted | undefined {
  return admitted.get(req.raw);
}

/** Whether the request has a body still to come (which a refusal leaves unread). */
function hasBody(req: FastifyRequest): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** How long a refused connection's unread body is discarded after the answer, at most. */
const LINGER_MS = 1000;

/**
 * Answers a refused request; closes the connection rather than read a body nobody will use.
 * The close lingers: the answer and a FIN go out, and what the client still sends is discarded
 * (never parsed or kept) for at most LINGER_MS, since closing a socket with unread bytes resets
 * it and a client still sending its body would lose the answer with the reset.
 */
export function refuse(req: FastifyRequest, reply: FastifyReply, status: number, body: unknown): FastifyReply {
  if (hasBody(req)) {
    reply.header('connection', 'close');
    const socket = req.raw.socket as (typeof req.raw.socket & { destroySoon?: () => void }) | null;
    if (socket && typeof socket.destroySoon === 'function') socket.destroySoon = lingeringClose;
  }
  return reply.code(status).send(body);
}

/** Node calls this once a `Connection: close` answer is written. */
function lingeringClose(this: import('node:net').Socket): void {
  if (this.writable) this.end();
  const timer = setTimeout(() => this.destroy(), LINGER_MS);
  timer.unref();
  this.once('close', () => clearTimeout(timer));
}

export function ingestEdge(deps: EdgeDeps) {
  const byId = new Map(deps.connectors.map((c) => [c.id, c]));
  const limiter = new SourceLimiter(deps.rateLimitPerSource ?? 5000, Date.now, deps.rateLimitSources);
  const allowed = new Map(
    deps.connectors.filter((c) => c.allow_ips?.length).map((c) => [c.id, allowList(c.allow_ips!)]),
  );
  // Compared against when the id is unknown or the connector has no token, so that every
  // request costs one comparison.
  const nobody = randomBytes(24).toString('base64url');
  const limitOf = deps.bodyLimit ?? ((c: BaseConnectorConfig) => c.max_body_bytes);
  const rejections = deps.logger ? new RateLimitedLog(deps.logger) : undefined;

  const onRequest = async (
    req: FastifyRequest<{ Params: { type: string; id: string } }>,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> => {
    const { type, id } = req.params;
    const config = byId.get(id);
    const spec = connectorSpec(type);
    const known = config && spec?.ingest && config.type === type && config.enabled ? config : undefined;
    const labels = { connector: known?.id ?? '', type: known ? type : '' };
    const reject = (status: number, code: string, message: string): FastifyReply => {
      deps.metrics.failed.inc({ ...labels, code });
      if (known) deps.status.count(known.id, 'errors');
      return refuse(req, reply, status, { error: message });
    };
    // The cheapest refusal first: a flood is turned away before any hashing.
    if (!limiter.take(req.ip)) {
      reply.header('retry-after', '1');
      return reject(429, 'RATE_LIMITED', 'too many requests from this address');
    }
    const tokenOk = deps.tokenMatches(deps.presentedToken(req), known?.token ?? nobody);
    if (!known) return refuse(req, reply, 404, { error: `no ${type} connector with id ${id}` });
    const check = allowed.get(known.id);
    if (check && !check(req.ip)) return reject(403, 'FORBIDDEN', 'address not allowed');
    if (known.token && !tokenOk) {
      rejections?.warn(
        `${known.id}|${req.ip}`,
        { connector: known.id, source: req.ip, status: 401 },
        (n) =>
          `connector ${known.id} refused a report from ${req.ip}: wrong or missing token; give the PBX the token of this connector's configuration (in its URL, or an Authorization: Bearer or X-Callhouse-Token header)${n ? ` (${n} more refused since the last warning)` : ''}`,
      );
      return reject(401, 'UNAUTHORIZED', 'bad or missing token');
    }
    const limit = limitOf(known);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(413, 'TOO_LARGE', `body too large (at most ${limit} bytes)`);
    admitted.set(req.raw, { config: known, spec: spec as Admitted['spec'], limit });
    // Any content type is read as bytes, an empty one too (which Fastify would answer with 415).
    if (req.headers['content-type']?.trim() === '') delete req.headers['content-type'];
    if (/100-continue/i.test(req.headers.expect ?? '')) reply.raw.writeContinue();
    return undefined;
  };
  return { onRequest, limiter };
}

export class BodyTooLarge extends Error {
  readonly statusCode = 413;
  readonly code = 'FST_ERR_CTP_BODY_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`body too large (at most ${limit} bytes)`);
  }
}

/**
 * Fastify's content-type parser for /ingest: the body as bytes, up to the admitted connector's
 * limit. A request the edge did not admit never gets here (its reply is already sent).
 */
export function bodyReader(metrics: Metrics) {
  return (req: FastifyRequest, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: Buffer) => void) => {
    const a = admittedOf(req);
    // Other routes (unknown paths, /metrics …) take no body: it is left unread, and their reply
    // closes the connection.
    if (!a) return done(null, undefined);
    const limit = a.limit;
    const labels = { connector: a.config.id, type: a.config.type };
    const chunks: Buffer[] = [];
    let length = 0;
    let finished = false;
    const finish = (err: Error | null, body?: Buffer): void => {
      if (finished) return;
      finished = true;
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', onError);
      done(err, body);
    };
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      length += b.length;
      metrics.ingestBodyBytes.inc(labels, b.length);
      if (length > limit) return finish(new BodyTooLarge(limit));
      chunks.push(b);
    };
    const onEnd = (): void => finish(null, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    const onError = (e: Error): void => finish(e);
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
  };
}
