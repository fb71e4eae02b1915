-- Per local day and extension. A call belongs to the extension that made it (caller_ext of an
-- outbound or internal call) and to the one that received it (callee_ext of an inbound or
-- internal call), so an internal call counts once for each of its two parties (once when an
-- extension calls itself). missed is for the receiving party only: an inbound or internal call
-- to it that was not answered. Calls with no extension on a side (e.g. an inbound call that
-- died in a queue) give no row for that side; direction 'unknown' gives none.
CREATE OR REPLACE VIEW {{db}}.extension_daily AS
SELECT
    day,
    tenant,
    party.1 AS extension,
    countIf(direction = 'inbound') AS inbound,
    countIf(direction = 'outbound') AS outbound,
    countIf(direction = 'internal') AS internal,
    countIf(disposition = 'answered') AS answered,
    countIf(party.2 = 'callee' AND disposition != 'answered') AS missed,
    toUInt64(sumIf(talk, disposition = 'answered')) AS talk_seconds
FROM
(
    SELECT toDate(started_local) AS day, tenant, direction, disposition, talk_seconds AS talk, caller_ext, callee_ext
    FROM {{db}}.calls FINAL
    WHERE leg != 1 AND direction IN ('inbound', 'outbound', 'internal')
)
ARRAY JOIN arrayFilter(
    p -> p.1 != '',
    [
        (if(direction = 'outbound' OR (direction = 'internal' AND caller_ext != callee_ext), caller_ext, ''), 'caller'),
        (if(direction IN ('inbound', 'internal'), callee_ext, ''), 'callee')
    ]
) AS party
GROUP BY day, tenant, extension;
