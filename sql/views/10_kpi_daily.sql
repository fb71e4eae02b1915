-- Daily call KPIs per tenant, source and direction, by the connector's local day.
-- `calls FINAL` makes every call count once however often it was delivered (the newest delivery
-- wins); leg-1 records are a vendor's setup legs (e.g. the ring to the extension of a
-- click-to-call) and are not attempts, while leg 2 is the real call of such a pair and counts.
-- talk_seconds is the talk of answered calls, so that acd_seconds * answered = talk_seconds.
-- Ratios divide by attempts, which is never 0 in a row that exists; the guards keep it that way.
CREATE OR REPLACE VIEW {{db}}.kpi_daily AS
SELECT
    day,
    tenant,
    source,
    direction,
    attempts,
    answered,
    no_answer,
    busy,
    cancelled,
    abandoned,
    voicemail,
    failed,
    if(attempts = 0, 0., answered / attempts) AS asr,
    if(attempts = 0, 0., (answered + busy + no_answer + cancelled) / attempts) AS ner,
    if(answered = 0, 0., talk_seconds / answered) AS acd_seconds,
    if(answered = 0, 0., ring_answered / answered) AS avg_ring_seconds,
    short_calls,
    talk_seconds
FROM
(
    SELECT
        toDate(started_local) AS day,
        tenant,
        source,
        direction,
        count() AS attempts,
        countIf(disposition = 'answered') AS answered,
        countIf(disposition = 'no_answer') AS no_answer,
        countIf(disposition = 'busy') AS busy,
        countIf(disposition = 'cancelled') AS cancelled,
        countIf(disposition = 'abandoned') AS abandoned,
        countIf(disposition = 'voicemail') AS voicemail,
        countIf(disposition = 'failed') AS failed,
        toUInt64(sumIf(c.talk_seconds, disposition = 'answered')) AS talk_seconds,
        toUInt64(sumIf(c.ring_seconds, disposition = 'answered')) AS ring_answered,
        countIf(disposition = 'answered' AND c.talk_seconds < (
            SELECT argMax(value, updated_at) FROM {{db}}.report_settings WHERE name = 'short_call_seconds'
        )) AS short_calls
    FROM {{db}}.calls AS c FINAL
    WHERE leg != 1
    GROUP BY day, tenant, source, direction
);
