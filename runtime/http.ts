/**
 * The two listeners. Ingest (`CALLHOUSE_HTTP_PORT`): POST /ingest/{type}/{id}, answered 200 only
 * once the report is durable in Kafka. Admin (`CALLHOUSE_ADMIN_PORT`, loopback): status, read-only
 * SQL. Both: /healthz, /readyz, /metrics.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import { connectorSpec } from '../connectors/registry.js';
import { encodeDeadLetter, encodeRaw } from './codec.js';
import { deadLetter } from './dead-letters.js';
import { asCallhouseError, CallhouseError } from './errors.js';
import { allowList } from './ip.js';
import { RateLimitedLog } from './logging.js';
import type { Bus, TopicNames } from './kafka.js';
import type { Metrics } from './metrics.js';
import type { Spool, SpoolRecord } from './spool.js';
import type { StatusBoard } from './status.js';

export interface HttpDeps {
  bus: Bus;
  topics: TopicNames;
  connectors: BaseConnectorConfig[];
  logger: Logger;
  metrics: Metrics;
  status: StatusBoard;
  trustedProxies: string[];
  ready(): Promise<{ kafka: boolean; warehouse: boolean }>;
  /** Where reports wait, on disk, while Kafka is unavailable. */
  spool?: Spool;
  /** Requests per second one source address may send (bursts of twice that). */
  rateLimitPerSource?: number;
  /** The data directory, for connectors' after-ingest work (recordings). */
  dataDir?: string;
  produceTimeoutMs?: number;
}

/** The digests of configured tokens (a few, for the life of the process): a request hashes only its own. */
const expectedDigests = new Map<string, Buffer>();

/** Constant-time comparison of a presented token with the configured one. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  const a = createHash('sha256').update(presented).digest();
  let b = expectedDigests.get(expected);
  if (!b) {
    b = createHash('sha256').update(expected).digest();
    if (expectedDigests.size < 1024) expectedDigests.set(expected, b);
  }
  return timingSafeEqual(a, b);
}

function presentedToken(req: FastifyRequest): string | undefined {
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  if (typeof q === 'string') return q;
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  const h = req.headers['x-callhouse-token'];
  return typeof h === 'string' ? h : undefined;
}

function commonRoutes(app: FastifyInstance, deps: Pick<HttpDeps, 'metrics' | 'ready'>): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const r = await deps.ready();
    const ok = r.kafka && r.warehouse;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', ...r });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}

/** A token bucket per source address: `perSecond` sustained, bursts of twice that. */
export class SourceLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(source: string): boolean {
    const t = this.now();
    const burst = this.perSecond * 2;
    const b = this.buckets.get(source) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    if (this.buckets.size > 10_000) this.buckets.clear();
    this.buckets.set(source, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

export function buildIngestServer(deps: HttpDeps): FastifyInstance {
  const maxBody = Math.max(1024 * 1024, ...deps.connectors.map((c) => c.max_body_bytes));
  const app = Fastify({
    logger: false,
    bodyLimit: maxBody,
    trustProxy: deps.trustedProxies.length > 0 ? deps.trustedProxies : false,
    requestTimeout: 30_000,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const byId = new Map(deps.connectors.map((c) => [c.id, c]));
  const limiter = new SourceLimiter(deps.rateLimitPerSource ?? 5000);
  const rejections = new RateLimitedLog(deps.logger);
  const allowed = new Map(
    deps.connectors.filter((c) => c.allow_ips?.length).map((c) => [c.id, allowList(c.allow_ips!)]),
  );

  commonRoutes(app, deps);
  app.setErrorHandler((err, _req, reply) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
      return reply.code(413).send({ error: 'body too large' });
    }
    deps.logger.warn({ error_code: e.code }, `ingest request failed: ${e.message}`);
    return reply.code(e.statusCode && e.statusCode < 500 ? e.statusCode : 500).send({ error: 'request failed' });
  });

  app.post(
    '/ingest/:type/:id',
    async (req: FastifyRequest<{ Params: { type: string; id: string } }>, reply: FastifyReply) => {
      const { type, id } = req.params;
      const config = byId.get(id);
      const spec = connectorSpec(type);
      if (!config || !spec?.ingest || config.type !== type || !config.enabled) {
        return reply.code(404).send({ error: `no ${type} connector with id ${id}` });
      }
      const labels = { connector: id, type };
      const reject = (status: number, code: string, message: string): FastifyReply => {
        deps.metrics.failed.inc({ ...labels, code });
        deps.status.count(id, 'errors');
        return reply.code(status).send({ error: message });
      };
      if (!limiter.take(req.ip)) {
        reply.header('retry-after', '1');
        return reject(429, 'RATE_LIMITED', 'too many requests from this address');
      }
      const check = allowed.get(id);
      if (check && !check(req.ip)) return reject(403, 'FORBIDDEN', 'address not allowed');
      if (config.token && !tokenMatches(presentedToken(req), config.token)) {
        rejections.warn(
          `${id}|${req.ip}`,
          { connector: id, source: req.ip, status: 401 },
          (n) =>
            `connector ${id} refused a report from ${req.ip}: wrong or missing token; give the PBX the token of this connector's configuration (in its URL, or an Authorization: Bearer or X-Callhouse-Token header)${n ? ` (${n} more refused since the last warning)` : ''}`,
        );
        return reject(401, 'UNAUTHORIZED', 'bad or missing token');
      }
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (body.length > config.max_body_bytes) return reject(413, 'TOO_LARGE', 'body too large');
      const contentType = req.headers['content-type'] ?? 'application/octet-stream';
      deps.metrics.received.inc(labels);
      deps.status.count(id, 'received');

      let payloads;
      try {
        payloads = spec.ingest.accept(body, contentType, config);
      } catch (e) {
        const err = asCallhouseError(e, 'PARSE_ERROR');
        const original = encodeRaw({ key: '', body, content_type: contentType, meta: {} }, config);
        const d = deadLetter({
          stage: 'ingest',
          error: err,
          connectorId: id,
          source: type,
          payload: body,
          originTopic: deps.topics.raw(type),
          originHeaders: original.headers,
        });
        try {
          await makeDurable(deps, [{ topic: deps.topics.deadLetters, ...encodeDeadLetter(d) }]);
        } catch (pe) {
          return unavailable(reply, deps, pe);
        }
        deps.metrics.deadLettered.inc({ connector: id, stage: 'ingest' });
        deps.metrics.failed.inc({ ...labels, code: err.code });
        const r = spec.ingest.rejected?.(config, d.error) ?? { status: 400, body: { error: d.error } };
        return reply.code(r.status === 200 ? 400 : r.status).send(r.body);
      }
      try {
        await makeDurable(
          deps,
          payloads.map((p) => ({ topic: deps.topics.raw(type), ...encodeRaw(p, config) })),
        );
      } catch (e) {
        return unavailable(reply, deps, e);
      }
      deps.metrics.produced.inc(labels, payloads.length);
      deps.status.count(id, 'produced', payloads.length);
      deps.status.success(id);
      const after = spec.ingest.afterDurable;
      if (after) {
        void after(payloads, config, { logger: deps.logger.child({ connector: id }), dataDir: deps.dataDir ?? '.' })
          .then((more) =>
            more.length > 0
              ? makeDurable(
                  deps,
                  more.map((p) => ({ topic: deps.topics.raw(type), ...encodeRaw(p, config) })),
                )
              : undefined,
          )
          .catch((e: unknown) => {
            const err = asCallhouseError(e);
            deps.metrics.failed.inc({ ...labels, code: err.code });
            deps.status.failure(id, err.code, err.message, false);
            deps.logger.warn({ connector: id, error_code: err.code }, `after-ingest work failed: ${err.message}`);
          });
      }
      const ok = spec.ingest.ok(config);
      if (ok.contentType) reply.header('content-type', ok.contentType);
      return reply.code(ok.status).send(ok.body);
    },
  );
  return app;
}

/**
 * Makes records durable: in Kafka (acknowledged by all in-sync replicas), or, when Kafka does not
 * acknowledge in time, in the on-disk spool (fsynced), which the service drains into Kafka in
 * order once it is back. While the spool holds anything, new records queue behind it, so that
 * records of one call keep their order. Throws when neither can take them (the caller answers 503).
 */
export async function makeDurable(
  deps: Pick<HttpDeps, 'bus' | 'spool' | 'produceTimeoutMs'>,
  records: SpoolRecord[],
): Promise<void> {
  const spool = deps.spool;
  if (spool && !spool.isEmpty()) return spool.append(records);
  const byTopic = new Map<string, SpoolRecord[]>();
  for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  const sent = Promise.all([...byTopic].map(([topic, list]) => deps.bus.produce(topic, list)));
  if (!spool) return void (await sent);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CallhouseError('KAFKA_UNAVAILABLE', 'Kafka did not acknowledge in time')),
      deps.produceTimeoutMs ?? 5000,
    );
  });
  try {
    await Promise.race([sent, timeout]);
  } catch {
    // If the late send still succeeds, the record is in Kafka twice: the warehouse keeps one.
    sent.catch(() => undefined);
    await spool.append(records);
  } finally {
    clearTimeout(timer);
  }
}

function unavailable(reply: FastifyReply, deps: Pick<HttpDeps, 'logger'>, e: unknown): FastifyReply {
  deps.logger.warn(`report could not be made durable in Kafka: ${asCallhouseError(e).message}`);
  return reply.code(503).header('retry-after', '5').send({ error: 'temporarily unavailable' });
}

export interface AdminDeps extends Pick<HttpDeps, 'metrics' | 'ready' | 'logger'> {
  status(): Promise<unknown>;
  sql(query: string): Promise<{ columns: string[]; rows: Record<string, unknown>[] }>;
}

export function buildAdminServer(deps: AdminDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  commonRoutes(app, deps);
  app.get('/status', async () => deps.status());
  app.post('/sql', async (req, reply) => {
    const body = req.body as { query?: unknown } | string | undefined;
    const query = typeof body === 'string' ? body : typeof body?.query === 'string' ? body.query : undefined;
    if (!query) return reply.code(400).send({ error: 'expected {"query": "SELECT …"}' });
    try {
      return await deps.sql(query);
    } catch (e) {
      const err = e instanceof CallhouseError ? e : asCallhouseError(e);
      return reply.code(err.code === 'USAGE' ? 400 : 422).send({ error: err.message });
    }
  });
  return app;
}
