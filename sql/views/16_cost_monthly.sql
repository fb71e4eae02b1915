-- Per local month, tenant, source and currency (costs in different currencies are never added
-- together). calls counts every call (leg 1 excluded) of the month, priced or not; calls without
-- a currency (unpriced by the vendor) fall in the row with currency ''. billable_seconds is the
-- talk of answered calls.
--
-- cost is taken, per connector, from where the month's cost is known: the vendor's own monthly
-- summary where there is one (billing_summary, IPCortex outsummary: the company total rows,
-- device_id = ''), else the sum of the calls' known costs. NULL costs are unknown, not zero: a
-- month whose calls carry no cost and that has no summary has cost NULL. A summary for a month
-- with no calls of that connector still gives a row (calls 0); its source is the connector's
-- (from its calls of other months; '' when it has none).
CREATE OR REPLACE VIEW {{db}}.cost_monthly AS
SELECT
    month,
    tenant,
    source,
    toUInt64(sum(n)) AS calls,
    toUInt64(sum(talk)) AS billable_seconds,
    sum(connector_cost) AS cost,
    currency
FROM
(
    SELECT
        month,
        tenant,
        currency,
        if(c.source != '', c.source, b.source) AS source,
        c.n AS n,
        c.talk AS talk,
        if(b.billed = 1, toNullable(b.billed_cost), c.call_cost) AS connector_cost
    FROM
    (
        SELECT
            toStartOfMonth(toDate(started_local)) AS month,
            tenant,
            connector_id,
            currency,
            any(source) AS source,
            count() AS n,
            toUInt64(sumIf(talk_seconds, disposition = 'answered')) AS talk,
            sum(cost) AS call_cost
        FROM {{db}}.calls FINAL
        WHERE leg != 1
        GROUP BY month, tenant, connector_id, currency
    ) AS c
    FULL OUTER JOIN
    (
        SELECT s.month AS month, s.tenant AS tenant, s.connector_id AS connector_id, s.currency AS currency,
               s.billed_cost AS billed_cost, toUInt8(1) AS billed, k.source AS source
        FROM
        (
            SELECT month, tenant, connector_id, currency, sum(cost) AS billed_cost
            FROM {{db}}.billing_summary FINAL
            WHERE device_id = ''
            GROUP BY month, tenant, connector_id, currency
        ) AS s
        LEFT JOIN
        (
            SELECT tenant, connector_id, any(source) AS source
            FROM {{db}}.calls
            WHERE connector_id IN (SELECT connector_id FROM {{db}}.billing_summary)
            GROUP BY tenant, connector_id
        ) AS k ON k.tenant = s.tenant AND k.connector_id = s.connector_id
    ) AS b USING (month, tenant, connector_id, currency)
)
GROUP BY month, tenant, source, currency;
