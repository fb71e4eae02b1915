-- Per local day and queue (calls with queue != ''). offered counts every call that entered the
-- queue; a call is answered within service level when its queue wait is known and at most the
-- `service_level_seconds` setting (20 by default): an unknown wait (NULL) is never within it.
-- What depends on waits is NULL (unknown) where no wait it needs is known, never 0:
-- answered_within_sla and service_level when calls were answered and none of their waits is
-- known (with nothing answered, none was answered within: 0); avg_wait_seconds over answered
-- calls with a known wait; max_wait_seconds over every offered call with a known wait (an
-- abandoned caller's wait is the one that hurts).
CREATE OR REPLACE VIEW {{db}}.queue_daily AS
SELECT
    day,
    tenant,
    queue,
    offered,
    answered,
    abandoned,
    if(answered > 0 AND answered_waits = 0, NULL, within) AS answered_within_sla,
    if(answered > 0 AND answered_waits = 0, NULL, within / offered) AS service_level,
    if(answered_waits = 0, NULL, answered_wait_sum / answered_waits) AS avg_wait_seconds,
    max_wait_seconds
FROM
(
    SELECT
        toDate(started_local) AS day,
        tenant,
        queue,
        count() AS offered,
        countIf(disposition = 'answered') AS answered,
        countIf(disposition = 'abandoned') AS abandoned,
        countIf(disposition = 'answered' AND queue_wait_seconds IS NOT NULL AND queue_wait_seconds <= (
            SELECT argMax(value, updated_at) FROM {{db}}.report_settings WHERE name = 'service_level_seconds'
        )) AS within,
        countIf(disposition = 'answered' AND queue_wait_seconds IS NOT NULL) AS answered_waits,
        toUInt64(sumIf(assumeNotNull(queue_wait_seconds), disposition = 'answered' AND queue_wait_seconds IS NOT NULL)) AS answered_wait_sum,
        max(queue_wait_seconds) AS max_wait_seconds
    FROM {{db}}.calls FINAL
    WHERE leg != 1 AND queue != ''
    GROUP BY day, tenant, queue
);
