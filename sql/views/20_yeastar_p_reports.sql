-- Typed views over report_rows for the Yeastar P-Series report types whose CSV columns are known
-- (header names as in transforms/yeastar-p/report-columns.ts). Cells stay text in report_rows;
-- here counts become UInt64, durations whole seconds ("75", "01:15" or "0:01:15"), percentages
-- 0..1. A cell that is empty or not in such a form is NULL, never 0. FINAL: a re-downloaded
-- report replaces its rows. The CSV's "Total" row is not stored, so sums over rows are the totals.

-- Extension Call Statistics: one row per extension and report period.
CREATE OR REPLACE VIEW {{db}}.yeastar_p_ext_call_statistics AS
SELECT
    tenant,
    connector_id,
    period_start,
    period_end,
    row_number,
    fields['Extension Number'] AS extension,
    fields['Extension Name'] AS extension_name,
    toUInt64OrNull(trim(fields['Answered Calls'])) AS answered_calls,
    toUInt64OrNull(trim(fields['No Answer Calls'])) AS no_answer_calls,
    toUInt64OrNull(trim(fields['Busy Calls'])) AS busy_calls,
    toUInt64OrNull(trim(fields['Failed Calls'])) AS failed_calls,
    toUInt64OrNull(trim(fields['Voicemail Calls'])) AS voicemail_calls,
    toUInt64OrNull(trim(fields['Abandoned Calls'])) AS abandoned_calls,
    toUInt64OrNull(trim(fields['Total Calls'])) AS total_calls,
    if(match(trim(fields['Total Holding Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Total Holding Time']))), arrayEnumerate(splitByChar(':', trim(fields['Total Holding Time'])))))), NULL) AS total_holding_seconds,
    if(match(trim(fields['Total Talking Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Total Talking Time']))), arrayEnumerate(splitByChar(':', trim(fields['Total Talking Time'])))))), NULL) AS total_talking_seconds
FROM {{db}}.report_rows FINAL
WHERE report_type = 'extcallstatistics';

-- Queue Performance: one row per queue and report period; service_level as 0..1.
CREATE OR REPLACE VIEW {{db}}.yeastar_p_queue_performance AS
SELECT
    tenant,
    connector_id,
    period_start,
    period_end,
    row_number,
    fields['Queue Number'] AS queue_number,
    fields['Queue Name'] AS queue_name,
    toUInt64OrNull(trim(fields['Total Calls'])) AS total_calls,
    toUInt64OrNull(trim(fields['Answered Calls'])) AS answered_calls,
    toUInt64OrNull(trim(fields['Abandoned Calls'])) AS abandoned_calls,
    toUInt64OrNull(trim(fields['Transferred Calls'])) AS transferred_calls,
    if(match(trim(fields['Average Waiting Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Average Waiting Time']))), arrayEnumerate(splitByChar(':', trim(fields['Average Waiting Time'])))))), NULL) AS avg_waiting_seconds,
    if(match(trim(fields['Average Talking Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Average Talking Time']))), arrayEnumerate(splitByChar(':', trim(fields['Average Talking Time'])))))), NULL) AS avg_talking_seconds,
    if(match(trim(fields['Max Waiting Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Max Waiting Time']))), arrayEnumerate(splitByChar(':', trim(fields['Max Waiting Time'])))))), NULL) AS max_waiting_seconds,
    toFloat64OrNull(replaceRegexpOne(trim(fields['Service Level']), '\\s*%$', '')) / 100 AS service_level
FROM {{db}}.report_rows FINAL
WHERE report_type = 'queueperformance';

-- Queue Agent Performance: one row per agent and report period.
CREATE OR REPLACE VIEW {{db}}.yeastar_p_agent_performance AS
SELECT
    tenant,
    connector_id,
    period_start,
    period_end,
    row_number,
    fields['Agent Number'] AS agent_number,
    fields['Agent Name'] AS agent_name,
    toUInt64OrNull(trim(fields['Total Calls'])) AS total_calls,
    toUInt64OrNull(trim(fields['Answered Calls'])) AS answered_calls,
    toUInt64OrNull(trim(fields['Missed Calls'])) AS missed_calls,
    if(match(trim(fields['Total Talking Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Total Talking Time']))), arrayEnumerate(splitByChar(':', trim(fields['Total Talking Time'])))))), NULL) AS total_talking_seconds,
    if(match(trim(fields['Average Talking Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Average Talking Time']))), arrayEnumerate(splitByChar(':', trim(fields['Average Talking Time'])))))), NULL) AS avg_talking_seconds,
    if(match(trim(fields['Total Holding Time']), '^[0-9]+(:[0-9]{1,2}){0,2}$'), toUInt64(arraySum(arrayMap((p, i) -> toUInt64(p) * [1, 60, 3600][i], arrayReverse(splitByChar(':', trim(fields['Total Holding Time']))), arrayEnumerate(splitByChar(':', trim(fields['Total Holding Time'])))))), NULL) AS total_holding_seconds
FROM {{db}}.report_rows FINAL
WHERE report_type = 'queueagentperformance';
