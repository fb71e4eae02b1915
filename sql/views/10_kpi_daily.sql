-- Daily call KPIs per tenant, source and direction, by the connector's local day.
--
-- kpi_daily_from_calls computes them from `calls FINAL` at query time: every call counts once
-- however often it was delivered (the newest delivery wins); leg-1 records are a vendor's setup
-- legs (e.g. the ring to the extension of a click-to-call) and are not attempts, while leg 2 is the
-- real call of such a pair and counts. talk_seconds is the talk of answered calls, so that
-- acd_seconds * answered = talk_seconds. Ratios divide by attempts, which is never 0 in a row
-- that exists; the guards keep it that way. acd_seconds and avg_ring_seconds are means over the
-- answered calls: NULL (unknown, not 0) in a row where none was answered.
--
-- kpi_daily gives the same numbers from kpi_daily_rollup (migration 030), which the sink keeps
-- exact as calls arrive, in a few milliseconds instead of a scan of every call. The short-call
-- threshold is applied at query time from a histogram of talk seconds below 120; a threshold
-- above 120 s falls back to kpi_daily_from_calls. `callhouse rollup check` compares the two.
CREATE OR REPLACE VIEW {{db}}.kpi_daily_from_calls AS
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
    if(answered = 0, NULL, talk_seconds / answered) AS acd_seconds,
    if(answered = 0, NULL, ring_answered / answered) AS avg_ring_seconds,
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

CREATE OR REPLACE VIEW {{db}}.kpi_daily AS
SELECT
    day,
    tenant,
    source,
    direction,
    toUInt64(attempts) AS attempts,
    toUInt64(answered) AS answered,
    toUInt64(no_answer) AS no_answer,
    toUInt64(busy) AS busy,
    toUInt64(cancelled) AS cancelled,
    toUInt64(abandoned) AS abandoned,
    toUInt64(voicemail) AS voicemail,
    toUInt64(failed) AS failed,
    if(attempts = 0, 0., answered / attempts) AS asr,
    if(attempts = 0, 0., (answered + busy + no_answer + cancelled) / attempts) AS ner,
    if(answered = 0, NULL, talk_seconds / answered) AS acd_seconds,
    if(answered = 0, NULL, ring_answered / answered) AS avg_ring_seconds,
    toUInt64(short_calls) AS short_calls,
    toUInt64(talk_seconds) AS talk_seconds
FROM
(
    SELECT
        day,
        tenant,
        source,
        direction,
        sum(r.attempts) AS attempts,
        sum(r.answered) AS answered,
        sum(r.no_answer) AS no_answer,
        sum(r.busy) AS busy,
        sum(r.cancelled) AS cancelled,
        sum(r.abandoned) AS abandoned,
        sum(r.voicemail) AS voicemail,
        sum(r.failed) AS failed,
        sum(r.talk_seconds) AS talk_seconds,
        sum(r.ring_answered) AS ring_answered,
        sum(arraySum(arrayFilter((n, t) -> t < short_limit, r.`shortMap.calls`, r.`shortMap.talk`))) AS short_calls,
        (SELECT argMax(value, updated_at) FROM {{db}}.report_settings WHERE name = 'short_call_seconds') AS short_limit
    -- Read through a subquery: with FINAL (analysts' sessions set final = 1), the engine
    -- misreads the merged shortMap arrays inside the lambda when the table is read directly.
    FROM (SELECT * FROM {{db}}.kpi_daily_rollup) AS r
    GROUP BY day, tenant, source, direction
    HAVING attempts != 0 AND short_limit <= 120
)
UNION ALL
SELECT *
FROM {{db}}.kpi_daily_from_calls
WHERE (SELECT argMax(value, updated_at) FROM {{db}}.report_settings WHERE name = 'short_call_seconds') > 120;
