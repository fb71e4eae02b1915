/**
 * The transform role: consumes `raw.*`, runs each record's normaliser, produces the canonical
 * records (or a dead letter with the reason and the original bytes), and commits its input only
 * after every output is acknowledged by Kafka.
 */
import type { Logger } from 'pino';
import type { BaseConnectorConfig } from '../../connectors/core/config.js';
import type { NormaliseContext, Observation } from '../../connectors/core/contract.js';
import { CONNECTORS, connectorSpec } from '../../connectors/registry.js';
import type { Normalised } from '../../transforms/core/model.js';
import { nowCh } from '../../transforms/core/times.js';
import {
  decodeRaw,
  encodeBilling,
  encodeCall,
  encodeDeadLetter,
  encodeEvent,
  encodeReportRow,
  type RawReceipt,
} from '../codec.js';
import { deadLetter } from '../dead-letters.js';
import { CallhouseError } from '../errors.js';
import type { Bus, ConsumerHandle, OutMessage, TopicNames } from '../kafka.js';
import type { Metrics } from '../metrics.js';
import type { StatusBoard } from '../status.js';

export interface TransformDeps {
  bus: Bus;
  topics: TopicNames;
  connectors: BaseConnectorConfig[];
  logger: Logger;
  metrics: Metrics;
  groupId?: string;
  /** Where data notices (report headers not recognised) are shown by `status`. */
  status?: StatusBoard;
}

export interface TransformOutcome {
  normalised?: Normalised;
  error?: CallhouseError | Error;
}

/** Normalises one receipt with the configuration of its connector. Pure: no Kafka, no clock but ingested_at. */
export function normaliseReceipt(
  receipt: RawReceipt,
  config: BaseConnectorConfig,
  warn: NormaliseContext['warn'],
  ingestedAt = nowCh(),
  observe?: NormaliseContext['observe'],
): Normalised {
  const spec = connectorSpec(config.type);
  if (!spec) throw new CallhouseError('UNSUPPORTED_PAYLOAD', `no connector of type ${JSON.stringify(config.type)}`);
  return spec.normalise(receipt.body, receipt.content_type, {
    config,
    received_at: receipt.received_at,
    ingested_at: ingestedAt,
    meta: receipt.meta,
    warn,
    ...(observe ? { observe } : {}),
  });
}

/** What the runtime does with a normaliser's observations: metrics, and status for what needs a look. */
export function observer(
  connector: string,
  metrics: Metrics,
  status: StatusBoard | undefined,
): (o: Observation) => void {
  return (o) => {
    if (o.kind === 'report_layout_unmatched') {
      metrics.reportLayoutsUnmatched.inc({ connector, report_type: o.report_type });
      status?.notice(connector, `${o.report_type} report: columns not found: ${o.missing.join(', ')}`);
    } else {
      metrics.dstLocalTimes.inc({
        connector,
        kind: o.kind === 'dst_gap' ? 'gap' : 'overlap',
        resolved_by: o.resolved_by,
      });
    }
  };
}

/** The configuration a receipt is normalised with: its connector's, or (connector since removed) a minimal one. */
export function configFor(receipt: RawReceipt, byId: Map<string, BaseConnectorConfig>): BaseConnectorConfig {
  const known = byId.get(receipt.connector_id);
  if (known && known.type === receipt.type) return known;
  return {
    id: receipt.connector_id || 'unknown',
    type: receipt.type,
    tenant: receipt.tenant || receipt.connector_id || 'unknown',
    enabled: true,
    max_body_bytes: 1024 * 1024,
  };
}

export async function startTransform(deps: TransformDeps): Promise<ConsumerHandle> {
  const { bus, topics, logger, metrics } = deps;
  const byId = new Map(deps.connectors.map((c) => [c.id, c]));
  const rawTopics = CONNECTORS.map((c) => topics.raw(c.type));
  const observers = new Map<string, (o: Observation) => void>();
  const observerOf = (id: string): ((o: Observation) => void) => {
    let o = observers.get(id);
    if (!o) observers.set(id, (o = observer(id, metrics, deps.status)));
    return o;
  };
  return bus.consume({
    groupId: deps.groupId ?? topics.groups.transform,
    topics: rawTopics,
    maxWaitMs: 100,
    partitionsConsumedConcurrently: 2,
    handle: async (batch) => {
      const calls: OutMessage[] = [];
      const events: OutMessage[] = [];
      const reports: OutMessage[] = [];
      const dead: OutMessage[] = [];
      const ingestedAt = nowCh();
      // Counted per batch, not per record: a labelled counter increment costs more than it seems.
      const counts = new Map<string, { call: number; event: number; report: number }>();
      for (const m of batch.messages) {
        const receipt = decodeRaw(m);
        const config = configFor(receipt, byId);
        try {
          const out = normaliseReceipt(
            receipt,
            config,
            (message, details) => {
              metrics.warnings.inc({ connector: config.id });
              logger.warn({ connector: config.id, ...details }, message);
            },
            ingestedAt,
            observerOf(config.id),
          );
          for (const r of out.calls) calls.push(encodeCall(r, receipt.meta.endpoint ?? ''));
          for (const r of out.events) events.push(encodeEvent(r));
          for (const r of out.reportRows) reports.push(encodeReportRow(r));
          for (const r of out.billing) reports.push(encodeBilling(r));
          let c = counts.get(config.id);
          if (!c) counts.set(config.id, (c = { call: 0, event: 0, report: 0 }));
          c.call += out.calls.length;
          c.event += out.events.length;
          c.report += out.reportRows.length + out.billing.length;
        } catch (e) {
          const d = deadLetter({
            stage: 'transform',
            error: e,
            connectorId: config.id,
            source: config.type,
            payload: receipt.body,
            originTopic: batch.topic,
            originKey: m.key,
            originHeaders: m.headers,
            id: `transform:${receipt.id}`,
          });
          metrics.deadLettered.inc({ connector: config.id, stage: 'transform' });
          logger.warn({ connector: config.id, error_code: d.error_code, offset: m.offset }, `dead letter: ${d.error}`);
          dead.push(encodeDeadLetter(d));
        }
      }
      for (const [connector, c] of counts) {
        metrics.transformed.inc({ connector, kind: 'call' }, c.call);
        metrics.transformed.inc({ connector, kind: 'event' }, c.event);
        metrics.transformed.inc({ connector, kind: 'report' }, c.report);
      }
      await bus.produceMany([
        { topic: topics.calls, messages: calls },
        { topic: topics.callEvents, messages: events },
        { topic: topics.reportRows, messages: reports },
        { topic: topics.deadLetters, messages: dead },
      ]);
    },
  });
}
