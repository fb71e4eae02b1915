/** Prometheus metrics of every stage, named callhouse_<component>_<thing>. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly received = new Counter({
    name: 'callhouse_connector_received_total',
    help: 'Payloads received by a connector (pushed or polled).',
    labelNames: ['connector', 'type'],
    registers: [this.registry],
  });
  readonly produced = new Counter({
    name: 'callhouse_connector_produced_total',
    help: 'Payloads made durable in Kafka.',
    labelNames: ['connector', 'type'],
    registers: [this.registry],
  });
  readonly failed = new Counter({
    name: 'callhouse_connector_failed_total',
    help: 'Failures of a connector (requests rejected, vendor errors).',
    labelNames: ['connector', 'type', 'code'],
    registers: [this.registry],
  });
  readonly deadLettered = new Counter({
    name: 'callhouse_dead_lettered_total',
    help: 'Inputs sent to dead letters.',
    labelNames: ['connector', 'stage'],
    registers: [this.registry],
  });
  readonly transformed = new Counter({
    name: 'callhouse_transform_records_total',
    help: 'Canonical records produced by the transform role.',
    labelNames: ['connector', 'kind'],
    registers: [this.registry],
  });
  readonly sinkRows = new Counter({
    name: 'callhouse_sink_rows_total',
    help: 'Rows inserted into the warehouse.',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly sinkBatchSeconds = new Histogram({
    name: 'callhouse_sink_batch_seconds',
    help: 'Latency of one warehouse insert.',
    labelNames: ['table'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly sinkBatchRows = new Histogram({
    name: 'callhouse_sink_batch_rows',
    help: 'Rows in one warehouse insert.',
    labelNames: ['table'],
    buckets: [1, 10, 100, 1000, 5000, 20000, 100000],
    registers: [this.registry],
  });
  readonly sinkErrors = new Counter({
    name: 'callhouse_sink_errors_total',
    help: 'Failed warehouse inserts (retried).',
    labelNames: ['table'],
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'callhouse_consumer_lag',
    help: 'Messages not yet consumed, per consumer group and topic.',
    labelNames: ['group', 'topic'],
    registers: [this.registry],
  });
  readonly pollLastSuccess = new Gauge({
    name: 'callhouse_poll_last_success_timestamp_seconds',
    help: 'Time of the last successful poll of a connector.',
    labelNames: ['connector', 'type'],
    registers: [this.registry],
  });
  readonly connectorUp = new Gauge({
    name: 'callhouse_connector_up',
    help: '1 when the connector runs, 0 when stopped by an error.',
    labelNames: ['connector', 'type'],
    registers: [this.registry],
  });
  readonly warnings = new Counter({
    name: 'callhouse_transform_warnings_total',
    help: 'Warnings raised while normalising (e.g. a time zone that looks wrong).',
    labelNames: ['connector'],
    registers: [this.registry],
  });
  readonly dstLocalTimes = new Counter({
    name: 'callhouse_transform_dst_local_times_total',
    help: 'Vendor local times at a daylight-saving change: kind overlap (a repeated hour) or gap; resolved_by vendor_time (an absolute time of the vendor chose the reading) or rule (the earlier reading; a gap moved forward).',
    labelNames: ['connector', 'kind', 'resolved_by'],
    registers: [this.registry],
  });
  readonly reportLayoutsUnmatched = new Counter({
    name: 'callhouse_report_layout_unmatched_total',
    help: 'Downloaded report files whose header lacks columns the typed report views read (those columns are NULL there; every cell stays in report_rows.fields).',
    labelNames: ['connector', 'report_type'],
    registers: [this.registry],
  });
  readonly ingestBodyBytes = new Counter({
    name: 'callhouse_ingest_body_bytes_total',
    help: 'Body bytes read from /ingest requests that passed the edge checks (refused requests read none).',
    labelNames: ['connector', 'type'],
    registers: [this.registry],
  });
  readonly spoolSetAside = new Counter({
    name: 'callhouse_ingest_spool_set_aside_total',
    help: 'Spooled reports Kafka refused for good or kept refusing, set aside (dead letter or quarantine file).',
    labelNames: ['to'],
    registers: [this.registry],
  });
  readonly spoolBytes = new Gauge({
    name: 'callhouse_ingest_spool_bytes',
    help: 'Bytes held in the ingest spool while Kafka is unavailable.',
    registers: [this.registry],
  });

  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'callhouse_process_' });
  }
}
