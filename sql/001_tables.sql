-- The storage tables behind the contract's relations. Every table that receives redelivered
-- records is a ReplacingMergeTree keyed by the record's identity, so a vendor resend, a poller
-- re-reading an overlapping window or a replay collapses into one row; the views read them with
-- FINAL so analysts never see a duplicate, merged or not.

CREATE TABLE IF NOT EXISTS {{db}}.calls
(
    tenant              LowCardinality(String),
    source              LowCardinality(String),
    connector_id        LowCardinality(String),
    call_id             String,
    parent_call_id      String,
    leg                 UInt8,
    started_at          DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    started_local       DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    answered_at         Nullable(DateTime64(3, 'UTC')),
    ended_at            Nullable(DateTime64(3, 'UTC')),
    direction           LowCardinality(String),
    caller              String,
    callee              String,
    caller_e164         String,
    callee_e164         String,
    caller_ext          String,
    callee_ext          String,
    trunk               LowCardinality(String),
    did                 String,
    queue               LowCardinality(String),
    agent               String,
    disposition         LowCardinality(String),
    vendor_status       LowCardinality(String),
    vendor_type         LowCardinality(String),
    ring_seconds        UInt32,
    talk_seconds        UInt32,
    total_seconds       UInt32,
    queue_wait_seconds  Nullable(UInt32),
    cost                Nullable(Decimal(18, 6)),
    currency            LowCardinality(String),
    recording           String,
    ingested_at         DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(started_at)
ORDER BY (tenant, connector_id, call_id, leg)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.call_events
(
    tenant          LowCardinality(String),
    source          LowCardinality(String),
    connector_id    LowCardinality(String),
    call_id         String,
    event_at        DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    event_type      LowCardinality(String),
    vendor_action   LowCardinality(String),
    parties         Array(String),
    `from`          String,
    `to`            String,
    trunk           LowCardinality(String),
    info            String,
    event_key       String,
    ingested_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(event_at)
ORDER BY (tenant, connector_id, call_id, event_key)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.report_rows
(
    tenant          LowCardinality(String),
    connector_id    LowCardinality(String),
    report_type     LowCardinality(String),
    period_start    DateTime64(3, 'UTC'),
    period_end      DateTime64(3, 'UTC'),
    row_number      UInt32,
    fields          Map(String, String),
    ingested_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
PARTITION BY toYYYYMM(period_start)
ORDER BY (tenant, connector_id, report_type, period_start, period_end, row_number)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS {{db}}.billing_summary
(
    tenant              LowCardinality(String),
    connector_id        LowCardinality(String),
    month               Date,
    company             String,
    company_name        String,
    device_id           String,
    device_name         String,
    device              String,
    cost                Decimal(18, 6),
    currency            LowCardinality(String),
    billable_seconds    UInt64,
    unknown_cost_calls  UInt64,
    ingested_at         DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (tenant, connector_id, month, company, device_id)
SETTINGS non_replicated_deduplication_window = 10000;

-- Dead letters: one row per failed input; a replay writes the same id again with replayed = 1.
CREATE TABLE IF NOT EXISTS {{db}}.dead_letter_log
(
    id              String,
    at              DateTime64(3, 'UTC'),
    connector_id    LowCardinality(String),
    source          LowCardinality(String),
    stage           LowCardinality(String),
    error_code      LowCardinality(String),
    error           String,
    payload         String CODEC(ZSTD(3)),
    origin_topic    String,
    origin_key      String,
    origin_headers  String DEFAULT '',
    replayed        UInt8 DEFAULT 0,
    version         DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(at)
ORDER BY (id)
SETTINGS non_replicated_deduplication_window = 10000;

-- What connectors received, unchanged, for audit and replay; kept for a configurable time.
CREATE TABLE IF NOT EXISTS {{db}}.raw_payloads
(
    id              String,
    received_at     DateTime64(3, 'UTC'),
    connector_id    LowCardinality(String),
    source          LowCardinality(String),
    tenant          LowCardinality(String),
    content_type    LowCardinality(String),
    meta            Map(String, String),
    body            String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(received_at)
ORDER BY (connector_id, id)
TTL toDateTime(received_at) + INTERVAL 90 DAY
SETTINGS non_replicated_deduplication_window = 10000;
