-- Per local day, trunk and direction; calls that used no trunk (internal ones) have no row.
CREATE OR REPLACE VIEW {{db}}.trunk_daily AS
SELECT
    toDate(started_local) AS day,
    tenant,
    trunk,
    direction,
    count() AS attempts,
    countIf(disposition = 'answered') AS answered,
    toUInt64(sumIf(c.talk_seconds, disposition = 'answered')) AS talk_seconds
FROM {{db}}.calls AS c FINAL
WHERE leg != 1 AND trunk != ''
GROUP BY day, tenant, trunk, direction;
