-- Recounts the kpi_daily rollup from `calls FINAL`: run by the migration that creates it (for the
-- calls already there) and by `callhouse rollup rebuild`. Writers (the sink) must be stopped.
-- {{token}} is fresh on every run, so that a second rebuild is not taken for a retry of the first.

TRUNCATE TABLE {{db}}.call_contrib;

TRUNCATE TABLE {{db}}.kpi_daily_rollup;

INSERT INTO {{db}}.call_contrib
SETTINGS insert_deduplication_token = '{{token}}-contrib'
SELECT
    cityHash64(tenant, connector_id, call_id, leg), tenant, connector_id, call_id, leg, ingested_at,
    toDate(started_local), source, direction, disposition, talk_seconds, ring_seconds
FROM {{db}}.calls FINAL;

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
