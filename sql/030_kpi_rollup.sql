-- An exact, incremental rollup behind kpi_daily.
--
-- Calls are written through `calls_ingest` (a Null table: it stores nothing). One INSERT there
-- feeds, through materialized views, three tables at once and under one deduplication token:
--   calls            every row, as before;
--   call_contrib     for each call, the newest version the rollup has counted (a narrow table keyed
--                    by a hash of the call's identity, for cheap look-ups of many calls at a time);
--   kpi_daily_rollup signed counts: +1 for the version a row brings, -1 for the version it replaces.
-- The writer (the sink) looks up the version counted so far in call_contrib and sends it in the
-- prev_* columns, with rollup_apply = 1 on the one row per call that becomes the newest (the same
-- row `calls FINAL` keeps: the highest ingested_at, the last one among equals). A redelivered
-- identical call therefore adds +1 and -1 to the same counters: nothing. A late correction moves
-- the call from its old day, direction or disposition to the new one.
--
-- A column added to `calls` later must be added to `calls_ingest` as well (same name and type).

CREATE TABLE IF NOT EXISTS {{db}}.calls_ingest AS {{db}}.calls ENGINE = Null;

ALTER TABLE {{db}}.calls_ingest
    ADD COLUMN IF NOT EXISTS rollup_apply UInt8 DEFAULT 1,
    ADD COLUMN IF NOT EXISTS prev_exists UInt8 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS prev_day Date DEFAULT 0,
    ADD COLUMN IF NOT EXISTS prev_source String DEFAULT '',
    ADD COLUMN IF NOT EXISTS prev_direction String DEFAULT '',
    ADD COLUMN IF NOT EXISTS prev_disposition String DEFAULT '',
    ADD COLUMN IF NOT EXISTS prev_talk_seconds UInt32 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS prev_ring_seconds UInt32 DEFAULT 0;

CREATE TABLE IF NOT EXISTS {{db}}.call_contrib
(
    key_hash        UInt64,
    tenant          LowCardinality(String),
    connector_id    LowCardinality(String),
    call_id         String,
    leg             UInt8,
    ingested_at     DateTime64(3, 'UTC'),
    day             Date,
    source          LowCardinality(String),
    direction       LowCardinality(String),
    disposition     LowCardinality(String),
    talk_seconds    UInt32,
    ring_seconds    UInt32
)
ENGINE = ReplacingMergeTree(ingested_at)
PRIMARY KEY key_hash
ORDER BY (key_hash, tenant, connector_id, call_id, leg)
SETTINGS index_granularity = 1024, non_replicated_deduplication_window = 10000;

-- Per local day, tenant, source and direction. shortMap counts answered calls by whole seconds of
-- talk below 120, so that the short-call threshold (report_settings) can change without a rebuild.
CREATE TABLE IF NOT EXISTS {{db}}.kpi_daily_rollup
(
    day             Date,
    tenant          LowCardinality(String),
    source          LowCardinality(String),
    direction       LowCardinality(String),
    attempts        Int64,
    answered        Int64,
    no_answer       Int64,
    busy            Int64,
    cancelled       Int64,
    abandoned       Int64,
    voicemail       Int64,
    failed          Int64,
    talk_seconds    Int64,
    ring_answered   Int64,
    shortMap        Nested(talk UInt16, calls Int64)
)
ENGINE = SummingMergeTree
ORDER BY (tenant, day, source, direction)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.calls_ingest_to_calls TO {{db}}.calls AS
SELECT * EXCEPT (rollup_apply, prev_exists, prev_day, prev_source, prev_direction, prev_disposition,
                 prev_talk_seconds, prev_ring_seconds)
FROM {{db}}.calls_ingest;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.calls_ingest_to_contrib TO {{db}}.call_contrib AS
SELECT
    cityHash64(tenant, connector_id, call_id, leg) AS key_hash,
    tenant, connector_id, call_id, leg, ingested_at,
    toDate(started_local) AS day, source, direction, disposition, talk_seconds, ring_seconds
FROM {{db}}.calls_ingest
WHERE rollup_apply = 1;

-- Each row counted: +1 for the version the row brings, -1 for the one it replaces. Leg-1 records
-- are never attempts (a call's leg is part of its identity, so prev has the same leg).
CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.calls_ingest_to_kpi_daily TO {{db}}.kpi_daily_rollup AS
SELECT
    v_day AS day,
    tenant,
    v_source AS source,
    v_direction AS direction,
    v_sign AS attempts,
    v_sign * (v_disposition = 'answered') AS answered,
    v_sign * (v_disposition = 'no_answer') AS no_answer,
    v_sign * (v_disposition = 'busy') AS busy,
    v_sign * (v_disposition = 'cancelled') AS cancelled,
    v_sign * (v_disposition = 'abandoned') AS abandoned,
    v_sign * (v_disposition = 'voicemail') AS voicemail,
    v_sign * (v_disposition = 'failed') AS failed,
    v_sign * (v_disposition = 'answered') * toInt64(v_talk) AS talk_seconds,
    v_sign * (v_disposition = 'answered') * toInt64(v_ring) AS ring_answered,
    if(v_disposition = 'answered' AND v_talk < 120, [toUInt16(v_talk)], []) AS `shortMap.talk`,
    if(v_disposition = 'answered' AND v_talk < 120, [v_sign], []) AS `shortMap.calls`
FROM
(
    SELECT
        tenant,
        tupleElement(v, 1) AS v_sign,
        tupleElement(v, 2) AS v_day,
        tupleElement(v, 3) AS v_source,
        tupleElement(v, 4) AS v_direction,
        tupleElement(v, 5) AS v_disposition,
        tupleElement(v, 6) AS v_talk,
        tupleElement(v, 7) AS v_ring
    FROM {{db}}.calls_ingest
    ARRAY JOIN [
        (toInt64(1), toDate(started_local), toString(source), toString(direction), toString(disposition), talk_seconds, ring_seconds),
        (toInt64(-1), prev_day, prev_source, prev_direction, prev_disposition, prev_talk_seconds, prev_ring_seconds)
    ] AS v
    WHERE rollup_apply = 1 AND leg != 1 AND (tupleElement(v, 1) = 1 OR prev_exists = 1)
);

-- Calls already in the warehouse when this migration runs (an upgrade) are counted by
-- sql/rollup/rebuild.sql, which the migration runner applies right after this file.
