-- Outside numbers whose missed inbound calls nobody returned. A miss is an inbound call from an
-- E.164 number (caller_e164 != '') that was not answered; it is returned when, in the
-- `callback_window_hours` (24 by default) after it started, the same tenant answered an inbound
-- call from that number or placed any outbound call to it (answered or not: a callback attempt).
-- The window is measured on started_at (UTC), so a DST change does not stretch or shrink it;
-- a miss younger than the window stays listed until a contact arrives. Times are UTC.
CREATE OR REPLACE VIEW {{db}}.unreturned_missed_calls AS
WITH
    (SELECT argMax(value, updated_at) FROM {{db}}.report_settings WHERE name = 'callback_window_hours') AS window_hours,
    toInt64(round(window_hours * 3600000)) AS window_ms
SELECT
    m.tenant AS tenant,
    m.number AS number,
    min(m.started_at) AS first_missed_at,
    max(m.started_at) AS last_missed_at,
    count() AS missed_count
FROM
(
    SELECT tenant, caller_e164 AS number, started_at
    FROM {{db}}.calls FINAL
    WHERE leg != 1 AND direction = 'inbound' AND caller_e164 != '' AND disposition != 'answered'
) AS m
LEFT JOIN
(
    -- Every later contact with a number, as one array per (tenant, number) for a cheap lookup.
    SELECT tenant, number, groupArray(started_at) AS contacts
    FROM
    (
        SELECT tenant, if(direction = 'inbound', caller_e164, callee_e164) AS number, started_at
        FROM {{db}}.calls FINAL
        WHERE leg != 1
          AND ((direction = 'inbound' AND disposition = 'answered' AND caller_e164 != '')
            OR (direction = 'outbound' AND callee_e164 != ''))
    )
    GROUP BY tenant, number
) AS c ON m.tenant = c.tenant AND m.number = c.number
WHERE NOT arrayExists(
    t -> t > m.started_at AND t <= m.started_at + toIntervalMillisecond(window_ms),
    c.contacts
)
GROUP BY m.tenant, m.number;
