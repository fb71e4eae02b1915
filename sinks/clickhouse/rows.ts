/** Turns normalised topic messages into warehouse rows, per table. */
import { decodeRaw, kindOf } from '../../runtime/codec.js';
import type { InMessage } from '../../runtime/kafka.js';
import type { TopicNames } from '../../runtime/kafka.js';
import type { DeadLetter } from '../../transforms/core/model.js';

export type Table = 'calls' | 'call_events' | 'report_rows' | 'billing_summary' | 'dead_letter_log' | 'raw_payloads';

export interface TableRows {
  table: Table;
  rows: Record<string, unknown>[];
  /** The message each row came from (for dead-lettering a row the warehouse rejects). */
  origins: InMessage[];
}

export function rowsOf(topic: string, messages: InMessage[], topics: TopicNames): TableRows[] {
  const byTable = new Map<Table, TableRows>();
  const add = (table: Table, row: Record<string, unknown>, m: InMessage): void => {
    let t = byTable.get(table);
    if (!t) byTable.set(table, (t = { table, rows: [], origins: [] }));
    t.rows.push(row);
    t.origins.push(m);
  };
  for (const m of messages) {
    if (topic === topics.calls) add('calls', parse(m), m);
    else if (topic === topics.callEvents) add('call_events', parse(m), m);
    else if (topic === topics.reportRows) add(kindOf(m) === 'billing' ? 'billing_summary' : 'report_rows', parse(m), m);
    else if (topic === topics.deadLetters) {
      const d = parse(m) as DeadLetter;
      add('dead_letter_log', { ...d, replayed: d.replayed ?? 0, version: d.version ?? d.at }, m);
    } else {
      const r = decodeRaw(m);
      add(
        'raw_payloads',
        {
          id: r.id,
          received_at: r.received_at,
          connector_id: r.connector_id,
          source: r.type,
          tenant: r.tenant,
          content_type: r.content_type,
          meta: r.meta,
          body: r.body.toString('utf8'),
        },
        m,
      );
    }
  }
  return [...byTable.values()];
}

function parse(m: InMessage): Record<string, unknown> {
  return JSON.parse(m.value.toString('utf8')) as Record<string, unknown>;
}
