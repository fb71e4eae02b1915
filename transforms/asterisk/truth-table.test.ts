/**
 * Asterisk in the repeated DST hour: a default 18-column Master.csv line (cdr.conf without
 * cdr_custom) whose start, answer and end fall in London's repeated 01:00-02:00 of 27 Oct 2024.
 * The uniqueid's epoch is absolute: 1729992600 is 01:30:00Z (2024-10-27T00:00Z is 1729987200), the
 * second 01:30 (GMT), so the call is read there, not an hour earlier.
 */
import { describe, expect, it } from 'vitest';
import type { Observation } from '../../connectors/core/contract.js';
import { asteriskConfigSchema } from '../../connectors/asterisk/config.js';
import { normaliseAsterisk } from './normalise.js';

const line = (uniqueid: string) =>
  `"","2001","2002","from-internal","""Alice"" <2001>","PJSIP/2001-00000001","PJSIP/2002-00000002","Dial","PJSIP/2002,30","2024-10-27 01:30:00","2024-10-27 01:30:05","2024-10-27 01:31:05",65,60,"ANSWERED","DOCUMENTATION","${uniqueid}",""\n`;

function run(uniqueid: string) {
  const observed: Observation[] = [];
  const config = asteriskConfigSchema.parse({ id: 'pbx', type: 'asterisk', timezone: 'Europe/London', country: 'GB' });
  const ctx = {
    config,
    received_at: '2024-10-28 00:00:00.000',
    ingested_at: '2024-10-28 00:00:00.000',
    meta: {},
    warn: () => undefined,
    observe: (o: Observation) => void observed.push(o),
  };
  return { call: normaliseAsterisk(Buffer.from(line(uniqueid)), 'text/csv', ctx).calls[0]!, observed };
}

describe('asterisk truth table: the repeated DST hour', () => {
  it('the uniqueid epoch places start, answer and end in the second 01:30', () => {
    const { call, observed } = run('1729992600.7');
    expect([call.started_at, call.answered_at, call.ended_at]).toEqual([
      '2024-10-27 01:30:00.000',
      '2024-10-27 01:30:05.000',
      '2024-10-27 01:31:05.000',
    ]);
    expect(observed).toEqual(Array(3).fill({ kind: 'dst_overlap', resolved_by: 'vendor_time' }));
  });

  it('a uniqueid without an epoch: the earlier reading (01:30 BST = 00:30Z), by rule', () => {
    const { call, observed } = run('pbx-1');
    expect([call.started_at, call.ended_at]).toEqual(['2024-10-27 00:30:00.000', '2024-10-27 00:31:05.000']);
    expect(observed[0]).toEqual({ kind: 'dst_overlap', resolved_by: 'rule' });
  });
});
