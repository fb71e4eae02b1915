/** What the transform role makes of a normaliser's observations: counters, and a status notice. */
import { describe, expect, it } from 'vitest';
import { Metrics } from '../metrics.js';
import { StatusBoard } from '../status.js';
import { statusTable } from '../cli/status.js';
import { observer } from './transform.js';

describe('transform observations', () => {
  it('count DST readings and unmatched report layouts; an unmatched layout is a status notice, once', async () => {
    const metrics = new Metrics({ defaults: false });
    const board = new StatusBoard();
    board.register('office-p', 'yeastar-p', 'acme', 'push+poll', true);
    const observe = observer('office-p', metrics, board);
    observe({ kind: 'dst_overlap', resolved_by: 'vendor_time' });
    observe({ kind: 'dst_overlap', resolved_by: 'vendor_time' });
    observe({ kind: 'dst_gap', resolved_by: 'rule' });
    const layout = {
      kind: 'report_layout_unmatched' as const,
      report_type: 'extcallstatistics',
      headers: ['Nebenstelle', 'Angenommen'],
      missing: ['Extension Number', 'Answered Calls'],
    };
    observe(layout);
    observe(layout);

    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'callhouse_transform_dst_local_times_total{connector="office-p",kind="overlap",resolved_by="vendor_time"} 2',
    );
    expect(text).toContain(
      'callhouse_transform_dst_local_times_total{connector="office-p",kind="gap",resolved_by="rule"} 1',
    );
    expect(text).toContain(
      'callhouse_report_layout_unmatched_total{connector="office-p",report_type="extcallstatistics"} 2',
    );

    const notices = board.get('office-p')!.notices;
    expect(notices).toEqual(['extcallstatistics report: columns not found: Extension Number, Answered Calls']);
    const table = statusTable({
      connectors: board.all().map((s) => ({ ...s, lag: 0, dead_letters: 0 })),
      dead_letters_total: 0,
      kafka: ['127.0.0.1:9092'],
      warehouse: null,
    });
    expect(table).toContain(
      'notice office-p: extcallstatistics report: columns not found: Extension Number, Answered Calls',
    );
  });
});
