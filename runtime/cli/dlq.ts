/** Dead letters: list them, and replay them through the pipeline after a fix. */
import type { DeadLetter } from '../../transforms/core/model.js';
import { nowCh } from '../../transforms/core/times.js';
import { encodeDeadLetter, payloadBytes, HEADERS } from '../codec.js';
import type { Bus, TopicNames } from '../kafka.js';

export interface DeadLetterRow extends DeadLetter {
  origin_headers?: string;
}

export function dlqQuery(opts: {
  limit?: number;
  since?: string;
  connector?: string;
  database: string;
  withPayload?: boolean;
}): string {
  const where: string[] = [];
  if (opts.since) where.push(`at >= parseDateTime64BestEffort(${quote(opts.since)}, 3, 'UTC')`);
  if (opts.connector) where.push(`connector_id = ${quote(opts.connector)}`);
  const cols = opts.withPayload
    ? 'id, at, connector_id, source, stage, error_code, error, payload, origin_topic, origin_key, origin_headers'
    : 'id, at, connector_id, stage, error_code, error, substring(payload, 1, 80) AS payload';
  return `SELECT ${cols} FROM ${opts.database}.dead_letter_log FINAL WHERE replayed = 0${where.length ? ` AND ${where.join(' AND ')}` : ''} ORDER BY at DESC${opts.limit ? ` LIMIT ${Math.floor(opts.limit)}` : ''}`;
}

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Puts each dead letter's original bytes back on the topic it came from (with its original
 * headers, so the transform knows its connector), then marks it replayed. A replay that fails
 * again becomes a dead letter again.
 */
export async function replayDeadLetters(bus: Bus, topics: TopicNames, letters: DeadLetterRow[]): Promise<number> {
  let n = 0;
  for (const d of letters) {
    if (!d.origin_topic) continue;
    let headers: Record<string, string> = {};
    try {
      headers = JSON.parse(d.origin_headers || '{}') as Record<string, string>;
    } catch {
      headers = {};
    }
    // Marked first: if the replayed record fails again, its new dead letter is the later version.
    const marked: DeadLetter = { ...d, replayed: 1, version: nowCh() };
    await bus.produce(topics.deadLetters, [encodeDeadLetter(marked)]);
    await bus.produce(d.origin_topic, [
      { key: d.origin_key || null, value: payloadBytes(d.payload), headers: { ...headers, [HEADERS.replayOf]: d.id } },
    ]);
    n += 1;
  }
  return n;
}
