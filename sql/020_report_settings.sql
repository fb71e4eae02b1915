-- Thresholds of the reporting views that users tune, in one table so that a change is one INSERT
-- (no view re-creation, no server config) and works the same on the embedded engine and a server.
-- The newest row per name wins; the seeds carry an old timestamp so that any user row beats them.
-- Numbered 020, not 002, so that it cannot collide with another engineer's 002 (the migration
-- runner keys applied files by their three digits).
CREATE TABLE IF NOT EXISTS {{db}}.report_settings
(
    name        LowCardinality(String),
    value       Float64,
    description String,
    updated_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY name;

-- An explicit token: the embedded engine keeps the previous statement's token in its session.
INSERT INTO {{db}}.report_settings (name, value, description, updated_at)
SETTINGS insert_deduplication_token = 'report-settings-seed'
VALUES
    ('service_level_seconds', 20, 'queue_daily: an answered queue call waited at most this long to be within service level', '2000-01-01 00:00:00.000'),
    ('short_call_seconds', 10, 'kpi_daily: an answered call that talked less than this is a short call', '2000-01-01 00:00:00.000'),
    ('callback_window_hours', 24, 'unreturned_missed_calls: a missed call is returned by a contact within this many hours after it', '2000-01-01 00:00:00.000');
