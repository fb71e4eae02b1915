-- Dead letters not yet replayed successfully; `callhouse dlq list` reads this.
CREATE OR REPLACE VIEW {{db}}.dead_letters AS
SELECT id, at, connector_id, source, stage, error_code, error, payload, origin_topic, origin_key
FROM {{db}}.dead_letter_log FINAL
WHERE replayed = 0;
