-- Recounts the kpi_daily rollup from `calls FINAL`: run by the migration that creates it (for the
-- calls already there) and by `callhouse rollup rebuild`. Writers (the sink) must be stopped.
-- {{token}} is fresh on every run, so that a second rebuild is not taken for a retry of the first.
-- What call_contrib knows of merged rows (origin, merged_from; see 040_call_merge.sql) is not in
-- `calls`: it is kept aside and restored for the rows it still describes (same ingested_at).

DROP TABLE IF EXISTS {{db}}.call_contrib_kept;

CREATE TABLE {{db}}.call_contrib_kept
ENGINE = MergeTree ORDER BY key_hash AS
SELECT key_hash, tenant, connector_id, call_id, leg, ingested_at, origin, merged_from
FROM {{db}}.call_contrib FINAL
WHERE origin != '' OR merged_from != '';

TRUNCATE TABLE {{db}}.call_contrib;

TRUNCATE TABLE {{db}}.kpi_daily_rollup;

INSERT INTO {{db}}.call_contrib
    (key_hash, tenant, connector_id, call_id, leg, ingested_at, day, source, direction, disposition,
     talk_seconds, ring_seconds, origin, merged_from)
SETTINGS insert_deduplication_token = '{{token}}-contrib'
SELECT
    c.key_hash, c.tenant, c.connector_id, c.call_id, c.leg, c.ingested_at,
    c.day, c.source, c.direction, c.disposition, c.talk_seconds, c.ring_seconds,
    k.origin, k.merged_from
FROM
(
    SELECT
        cityHash64(tenant, connector_id, call_id, leg) AS key_hash, tenant, connector_id, call_id, leg,
        ingested_at, toDate(started_local) AS day, source, direction, disposition, talk_seconds, ring_seconds
    FROM {{db}}.calls FINAL
) AS c
LEFT JOIN {{db}}.call_contrib_kept AS k
    ON k.key_hash = c.key_hash AND k.tenant = c.tenant AND k.connector_id = c.connector_id
   AND k.call_id = c.call_id AND k.leg = c.leg AND k.ingested_at = c.ingested_at;

DROP TABLE IF EXISTS {{db}}.call_contrib_kept;

INSERT INTO {{db}}.kpi_daily_rollup
SETTINGS insert_deduplication_token = '{{token}}-kpi'
SELECT
    day, tenant, source, direction,
    count() AS attempts,
    countIf(disposition = 'answered'),
    countIf(disposition = 'no_answer'),
    countIf(disposition = 'busy'),
    countIf(disposition = 'cancelled'),
    countIf(disposition = 'abandoned'),
    countIf(disposition = 'voicemail'),
    countIf(disposition = 'failed'),
    sumIf(toInt64(talk_seconds), disposition = 'answered'),
    sumIf(toInt64(ring_seconds), disposition = 'answered'),
    (sumMapIf([toUInt16(talk_seconds)], [toInt64(1)], disposition = 'answered' AND talk_seconds < 120) AS m).1,
    m.2
FROM {{db}}.call_contrib FINAL
WHERE leg != 1
GROUP BY day, tenant, source, direction;
