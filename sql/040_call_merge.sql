-- Versions of one call merged field by field (sinks/clickhouse/merge.ts). The sink writes one
-- merged row per call and insert; call_contrib keeps, beside the version the rollup counted,
-- the feed of the stored row (`origin`) and which version each of its other fields came from
-- (`merged_from`, JSON, '' when every field is the row's own), so that a later version is merged
-- exactly whatever order versions arrive in. Neither column reaches `calls`.

ALTER TABLE {{db}}.calls_ingest
    ADD COLUMN IF NOT EXISTS origin String DEFAULT '',
    ADD COLUMN IF NOT EXISTS merged_from String DEFAULT '';

ALTER TABLE {{db}}.call_contrib
    ADD COLUMN IF NOT EXISTS origin LowCardinality(String) DEFAULT '',
    ADD COLUMN IF NOT EXISTS merged_from String DEFAULT '';

-- Re-created so that their column lists name the new columns (stop the sinks while this runs).
DROP VIEW IF EXISTS {{db}}.calls_ingest_to_calls;

CREATE MATERIALIZED VIEW {{db}}.calls_ingest_to_calls TO {{db}}.calls AS
SELECT * EXCEPT (rollup_apply, prev_exists, prev_day, prev_source, prev_direction, prev_disposition,
                 prev_talk_seconds, prev_ring_seconds, origin, merged_from)
FROM {{db}}.calls_ingest;

DROP VIEW IF EXISTS {{db}}.calls_ingest_to_contrib;

CREATE MATERIALIZED VIEW {{db}}.calls_ingest_to_contrib TO {{db}}.call_contrib AS
SELECT
    cityHash64(tenant, connector_id, call_id, leg) AS key_hash,
    tenant, connector_id, call_id, leg, ingested_at,
    toDate(started_local) AS day, source, direction, disposition, talk_seconds, ring_seconds,
    origin, merged_from
FROM {{db}}.calls_ingest
WHERE rollup_apply = 1;
