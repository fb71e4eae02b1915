/**
 * Turns topic messages into warehouse rows, per table, as JSONEachRow lines. The normalised topics
 * already carry one JSON row per message: their bytes are passed through unparsed (a line the
 * warehouse cannot read is found and dead-lettered by the sink like any rejected row).
 */
import { decodeRaw, kindOf } from '../../runtime/codec.js';
import type { InMessage } from '../../runtime/kafka.js';
import type { TopicNames } from '../../runtime/kafka.js';
import type { DeadLetter } from '../../transforms/core/model.js';
import type { CallPlan } from './rollup.js';

export type Table = 'calls' | 'call_events' | 'report_rows' | 'billing_summary' | 'dead_letter_log' | 'raw_payloads';

export interface TableRows {
  table: Table;
  /** One JSON object per row (JSONEachRow): the message's own bytes where it already is one. */
  lines: (string | Buffer)[];
  /** The message each row came from (for dead-lettering a row the warehouse rejects). */
  origins: InMessage[];
  /** Calls: their identities and versions, read before the insert waits its turn. */
  plan?: CallPlan;
}

export function rowsOf(topic: string, messages: InMessage[], topics: TopicNames): TableRows[] {
  const byTable = new Map<Table, TableRows>();
  const add = (table: Table, line: string | Buffer, m: InMessage): void => {
    let t = byTable.get(table);
    if (!t) byTable.set(table, (t = { table, lines: [], origins: [] }));
    t.lines.push(line);
    t.origins.push(m);
  };
  for (const m of messages) {
    if (topic === topics.calls) add('calls', m.value, m);
    else if (topic === topics.callEvents) add('call_events', m.value, m);
    else if (topic === topics.reportRows) add(kindOf(m) === 'billing' ? 'billing_summary' : 'report_rows', m.value, m);
    else if (topic === topics.deadLetters) {
      // The version is set when the dead letter is produced (a replay marks it replayed with a
      // later version; a replay that fails again is later still).
      const d = JSON.parse(text(m)) as DeadLetter;
      add('dead_letter_log', JSON.stringify({ ...d, replayed: d.replayed ?? 0, version: d.version ?? d.at }), m);
    } else {
      const r = decodeRaw(m);
      add(
        'raw_payloads',
        JSON.stringify({
          id: r.id,
          received_at: r.received_at,
          connector_id: r.connector_id,
          source: r.type,
          tenant: r.tenant,
          content_type: r.content_type,
          meta: r.meta,
          body: r.body.toString('utf8'),
        }),
        m,
      );
    }
  }
  return [...byTable.values()];
}

/** The row's connector and source, for the dead letter of a rejected row (whatever its shape). */
export function rowOrigin(line: string | Buffer): { connector_id: string; source: string } {
  try {
    const r = JSON.parse(line.toString()) as Record<string, unknown>;
    return { connector_id: String(r.connector_id ?? ''), source: String(r.source ?? '') };
  } catch {
    return { connector_id: '', source: '' };
  }
}

/** A message's value as one JSONEachRow line (JSON text never needs its newlines). */
function text(m: InMessage): string {
  return m.value.toString('utf8');
}
