/** `callhouse status` as a readable table. */
import Table from 'cli-table3';

interface StatusBody {
  connectors: {
    id: string;
    type: string;
    mode: string;
    state: string;
    last_success: string | null;
    last_error: string | null;
    cursor: unknown;
    lag: number;
    dead_letters: number;
    errors: number;
    received: number;
    notices?: string[];
  }[];
  dead_letters_total: number;
  kafka: string[];
  warehouse: string | null;
}

export function statusTable(s: StatusBody): string {
  const t = new Table({
    head: [
      'connector',
      'type',
      'mode',
      'state',
      'last success',
      'cursor',
      'received',
      'errors',
      'last error',
      'lag',
      'dead letters',
    ],
    style: { head: [], border: [] },
    colWidths: [null, null, null, null, null, 28, null, null, 40, null, null],
    wordWrap: true,
  });
  for (const c of s.connectors) {
    t.push([
      c.id,
      c.type,
      c.mode,
      c.state,
      c.last_success ?? '-',
      c.cursor ? JSON.stringify(c.cursor) : '-',
      String(c.received),
      String(c.errors),
      c.last_error ?? '-',
      String(c.lag),
      String(c.dead_letters),
    ]);
  }
  const notices = s.connectors.flatMap((c) => (c.notices ?? []).map((n) => `notice ${c.id}: ${n}`));
  return `${t.toString()}\n${notices.map((n) => `${n}\n`).join('')}Kafka: ${s.kafka.join(',')}   warehouse: ${s.warehouse ?? '(not held by this process)'}   dead letters: ${s.dead_letters_total}`;
}
