-- Per local month, tenant, source and currency (costs in different currencies are never added
-- together). calls counts every call (leg 1 excluded) of the month, priced or not; calls without
-- a currency (unpriced by the vendor) fall in the row with currency ''. billable_seconds is the
-- talk of answered calls; cost the sum of the known costs (NULL costs are unknown, not zero).
CREATE OR REPLACE VIEW {{db}}.cost_monthly AS
SELECT
    toStartOfMonth(toDate(started_local)) AS month,
    tenant,
    source,
    count() AS calls,
    toUInt64(sumIf(c.talk_seconds, disposition = 'answered')) AS billable_seconds,
    toDecimal128(ifNull(sum(cost), 0), 6) AS cost,
    currency
FROM {{db}}.calls AS c FINAL
WHERE leg != 1
GROUP BY month, tenant, source, currency;
