-- Calls per local hour (the connector's wall clock): on the autumn DST change the repeated local
-- hour holds both real hours, as a wall-clock report shows it. erlangs = talk_seconds / 3600 is
-- the mean number of simultaneous answered conversations in that hour.
CREATE OR REPLACE VIEW {{db}}.calls_hourly AS
SELECT
    toStartOfHour(toDateTime(started_local, 'UTC')) AS hour,
    tenant,
    direction,
    count() AS attempts,
    countIf(disposition = 'answered') AS answered,
    toUInt64(sumIf(c.talk_seconds, disposition = 'answered')) AS talk_seconds,
    talk_seconds / 3600 AS erlangs
FROM {{db}}.calls AS c FINAL
WHERE leg != 1
GROUP BY hour, tenant, direction;
