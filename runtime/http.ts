/**
 * The two listeners. Ingest (`CALLHOUSE_HTTP_PORT`): POST /ingest/{type}/{id}, answered 200 only
 * once the report is durable in Kafka. The admin listener is in admin.ts. Both: /healthz, /readyz,
 * /metrics.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { BaseConnectorConfig } from '../connectors/core/config.js';
import { encodeDeadLetter, encodeRaw } from './codec.js';
import { deadLetter } from './dead-letters.js';
import { asCallhouseError, CallhouseError } from './errors.js';
import { admittedOf, bodyReader, ingestEdge, refuse } from './ingest-edge.js';
import { isTooLarge } from './kafka-limits.js';
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
  /** Most source addresses with a rate-limit bucket of their own (see source-limiter.ts). */
  rateLimitSources?: number;
  /** The body limit of a connector: its max_body_bytes, lower when Kafka's limits take less. */
  bodyLimit?(config: BaseConnectorConfig): number;
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

export function commonRoutes(app: FastifyInstance, deps: Pick<HttpDeps, 'metrics' | 'ready'>): void {
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

export { SourceLimiter } from './source-limiter.js';

export function buildIngestServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    // The limit that counts is each connector's own, applied by the edge and readBody; this one
    // only has to let the largest through.
    bodyLimit: Math.max(1024 * 1024, ...deps.connectors.map((c) => c.max_body_bytes)),
    trustProxy: deps.trustedProxies.length > 0 ? deps.trustedProxies : false,
    requestTimeout: 30_000,
  });
  // A client that waits for `100 Continue` gets it only once the edge admitted its request.
  app.server.on('checkContinue', (req, res) => app.routing(req, res));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', bodyReader(deps.metrics));
  const edge = ingestEdge({ ...deps, tokenMatches, presentedToken });

  commonRoutes(app, deps);
  app.setNotFoundHandler((req, reply) => refuse(req, reply, 404, { error: 'not found' }));
  app.setErrorHandler((err, req, reply) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
      return refuse(req, reply, 413, { error: e.message || 'body too large' });
    }
    deps.logger.warn({ error_code: e.code }, `ingest request failed: ${e.message}`);
    return refuse(req, reply, e.statusCode && e.statusCode < 500 ? e.statusCode : 500, { error: 'request failed' });
  });

  app.post(
    '/ingest/:type/:id',
    { onRequest: edge.onRequest },
    async (req: FastifyRequest<{ Params: { type: string; id: string } }>, reply: FastifyReply) => {
      const admitted = admittedOf(req);
      if (!admitted) return reply.code(404).send({ error: 'not found' });
      const { config, spec } = admitted;
      const { id, type } = config;
      const labels = { connector: id, type };
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
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
          return notDurable(reply, deps, labels, pe);
        }
        deps.metrics.deadLettered.inc({ connector: id, stage: 'ingest' });
        deps.metrics.failed.inc({ ...labels, code: err.code });
        const r = spec.ingest.rejected?.(config, d.error) ?? { status: 400, body: { error: d.error } };
        return reply.code(r.status === 200 ? 400 : r.status).send(r.body);
      }
      const records = payloads.map((p) => ({ topic: deps.topics.raw(type), ...encodeRaw(p, config) }));
      try {
        await makeDurable(deps, records);
      } catch (e) {
        if (asCallhouseError(e).code !== 'KAFKA_REJECTED') return notDurable(reply, deps, labels, e);
        return refusedByKafka(reply, deps, config, records, asCallhouseError(e));
      }
      deps.metrics.produced.inc(labels, payloads.length);
      deps.status.count(id, 'produced', payloads.length);
      deps.status.success(id);
      const after = spec.ingest.afterDurable;
      if (after) {
        const afterFailed = (err: CallhouseError): void => {
          deps.metrics.failed.inc({ ...labels, code: err.code });
          deps.status.failure(id, err.code, err.message, false);
        };
        void after(payloads, config, {
          logger: deps.logger.child({ connector: id }),
          dataDir: deps.dataDir ?? '.',
          failed: afterFailed,
        })
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
            afterFailed(err);
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
 * records of one call keep their order. Records Kafka refuses for good (KAFKA_REJECTED: one too
 * large for its topic, or refused by the broker) are never spooled: the caller answers 4xx or
 * dead-letters them. Throws when neither can take them (the caller answers 503).
 */
export async function makeDurable(
  deps: Pick<HttpDeps, 'bus' | 'spool' | 'produceTimeoutMs'>,
  records: SpoolRecord[],
): Promise<void> {
  const spool = deps.spool;
  const byTopic = new Map<string, SpoolRecord[]>();
  for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  // What the broker's limits refuse is refused before it is spooled.
  for (const [topic, list] of byTopic) deps.bus.limits.assertFits(topic, list);
  if (spool && !spool.isEmpty()) return spool.append(records);
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
  } catch (e) {
    // If the late send still succeeds, the record is in Kafka twice: the warehouse keeps one.
    sent.catch(() => undefined);
    if (asCallhouseError(e).code === 'KAFKA_REJECTED') throw e;
    await spool.append(records);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Kafka refused a report for good. One too large for its topic gets 413 (the sender keeps it;
 * nothing could store it); one refused otherwise (invalid, not authorised) becomes a dead letter
 * with the broker's reason, replayable once the cause is fixed, and the vendor's 4xx.
 */
async function refusedByKafka(
  reply: FastifyReply,
  deps: HttpDeps,
  config: BaseConnectorConfig,
  records: SpoolRecord[],
  err: CallhouseError,
): Promise<FastifyReply> {
  const labels = { connector: config.id, type: config.type };
  deps.metrics.failed.inc({ ...labels, code: err.code });
  deps.status.failure(config.id, err.code, err.message, false);
  deps.logger.warn({ connector: config.id, error_code: err.code }, `report refused by Kafka: ${err.message}`);
  if (isTooLarge(err)) return reply.code(413).send({ error: `report too large for Kafka: ${err.message}` });
  const letters = records.map((r) => ({
    topic: deps.topics.deadLetters,
    ...encodeDeadLetter(
      deadLetter({
        stage: 'ingest',
        error: err,
        connectorId: config.id,
        source: config.type,
        payload: Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value),
        originTopic: r.topic,
        originKey: r.key ?? null,
        originHeaders: r.headers ?? {},
      }),
    ),
  }));
  try {
    await makeDurable(deps, letters);
  } catch (e) {
    if (asCallhouseError(e).code !== 'KAFKA_REJECTED') return notDurable(reply, deps, labels, e);
    return reply.code(422).send({ error: `refused by Kafka: ${err.message}` });
  }
  deps.metrics.deadLettered.inc({ connector: config.id, stage: 'ingest' }, letters.length);
  return reply.code(422).send({ error: `refused by Kafka, kept in dead letters: ${err.message}` });
}

/** 413 when a dead letter is too large for Kafka, else 503 (retry later). */
function notDurable(
  reply: FastifyReply,
  deps: Pick<HttpDeps, 'logger' | 'metrics'>,
  labels: { connector: string; type: string },
  e: unknown,
): FastifyReply {
  const err = asCallhouseError(e);
  if (isTooLarge(err)) {
    deps.metrics.failed.inc({ ...labels, code: err.code });
    return reply.code(413).send({ error: `report too large for Kafka: ${err.message}` });
  }
  return unavailable(reply, deps, e);
}

function unavailable(reply: FastifyReply, deps: Pick<HttpDeps, 'logger'>, e: unknown): FastifyReply {
  deps.logger.warn(`report could not be made durable in Kafka: ${asCallhouseError(e).message}`);
  return reply.code(503).header('retry-after', '5').send({ error: 'temporarily unavailable' });
}
