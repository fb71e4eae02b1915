/**
 * The field-by-field merge of call versions (sinks/clickhouse/merge.ts), as pure logic: its
 * precedence on hand-made versions, and that merging is the same whatever the order and grouping
 * of the versions and however often one is repeated (what makes the stored row exact when
 * versions arrive in any order, across inserts, restarts and redeliveries).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMergedFrom,
  encodeMergedFrom,
  mergeVersions,
  type Stored,
  type Version,
} from '../../sinks/clickhouse/merge.js';

const base = {
  tenant: 't',
  source: 'voicenter',
  connector_id: 'vc',
  call_id: 'c1',
  parent_call_id: '',
  leg: 0,
  started_at: '2024-01-01 10:00:00.000',
  started_local: '2024-01-01 12:00:00.000',
  answered_at: null,
  ended_at: null,
  direction: 'inbound',
  caller: '',
  callee: '',
  caller_e164: '',
  callee_e164: '',
  caller_ext: '',
  callee_ext: '',
  trunk: '',
  did: '',
  queue: 'q',
  agent: '',
  disposition: 'answered',
  vendor_status: 'ANSWER',
  vendor_type: '',
  ring_seconds: 0,
  talk_seconds: 0,
  total_seconds: 0,
  queue_wait_seconds: null,
  cost: null,
  currency: '',
  recording: '',
  ingested_at: '2024-01-01 10:05:00.000',
};

function version(origin: string, ms: number, fields: Record<string, unknown>): Version {
  return { origin, ms, row: { ...base, ...fields, ingested_at: new Date(ms).toISOString() } };
}

/** Merging as the sink does over several inserts: each insert's versions with the stored row. */
function inInserts(groups: Version[][]): Stored {
  let stored: Stored | undefined;
  for (const g of groups) {
    if (g.length === 0) continue;
    const m = mergeVersions(stored, g);
    // What the warehouse keeps: the row, and merged_from as text in call_contrib.
    stored = { ...m, mergedFrom: decodeMergedFrom(encodeMergedFrom(m.mergedFrom)) };
  }
  return stored!;
}

describe('merging versions of a call', () => {
  it('keeps known values, lets the Call Log win talk and cost and the notification the wait', () => {
    const notification = version('notification', 1000, {
      queue_wait_seconds: 12,
      talk_seconds: 58,
      answered_at: '2024-01-01 10:00:15.000',
      disposition: 'unknown',
      vendor_status: '',
    });
    const poll = version('cdr', 2000, { talk_seconds: 60, ring_seconds: 3, cost: '0.40', currency: 'ILS' });
    for (const order of [
      [notification, poll],
      [poll, notification],
    ]) {
      const m = mergeVersions(undefined, order);
      expect(m.row).toMatchObject({
        queue_wait_seconds: 12,
        answered_at: '2024-01-01 10:00:15.000',
        talk_seconds: 60,
        ring_seconds: 3,
        cost: '0.40',
        currency: 'ILS',
        disposition: 'answered',
        vendor_status: 'ANSWER',
        ingested_at: poll.row.ingested_at,
      });
      expect(m.origin).toBe('cdr');
      expect(m.mergedFrom).toEqual({ answered_at: ['notification', 1000], queue_wait_seconds: ['notification', 1000] });
    }
  });

  it('within one feed takes the newer known value, never an unknown one', () => {
    const old = version('', 1000, { trunk: 'sip1', talk_seconds: 50 });
    const newer = version('', 2000, { trunk: '', talk_seconds: 52 });
    const m = mergeVersions(mergeVersions(undefined, [newer]), [old]);
    expect([m.row.trunk, m.row.talk_seconds, m.ms]).toEqual(['sip1', 52, 2000]);
  });

  it('is the same whatever the order, grouping and repetition of the versions (property)', () => {
    const value = <T>(...xs: T[]) => fc.constantFrom(...xs);
    const arbVersion = fc
      .record({
        origin: value('', 'cdr', 'notification'),
        ms: fc.integer({ min: 1, max: 4 }).map((n) => n * 1000),
        queue_wait_seconds: value(null, 5, 25),
        talk_seconds: value(0, 30, 31),
        cost: value(null, '0.1', '0.10', '0.2'),
        trunk: value('', 'a', 'b'),
        disposition: value('unknown', 'answered', 'no_answer'),
        started_at: value('2024-01-01 10:00:00.000', '2024-01-01 10:00:01.000'),
      })
      .map(({ origin, ms, ...f }) => version(origin, ms, f));
    fc.assert(
      fc.property(
        fc.array(arbVersion, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 6 }),
        (versions, shuffle, sizes) => {
          const reference = mergeVersions(undefined, versions);
          // Another order, with some versions delivered twice, cut into inserts of varying size.
          const again = [...versions, ...shuffle.slice(0, 3).map((i) => versions[i % versions.length]!)];
          for (const [k, i] of shuffle.entries()) {
            const j = (i + k) % again.length;
            [again[k % again.length], again[j]] = [again[j]!, again[k % again.length]!];
          }
          const groups: Version[][] = [];
          let at = 0;
          for (const s of [...sizes, again.length]) {
            groups.push(again.slice(at, at + s));
            at += s;
          }
          const merged = inInserts(groups);
          const norm = (r: Record<string, unknown>) => ({ ...r, cost: r.cost === '0.10' ? '0.1' : r.cost });
          expect(norm(merged.row)).toEqual(norm(reference.row));
          expect([merged.origin, merged.ms]).toEqual([reference.origin, reference.ms]);
          expect(merged.mergedFrom).toEqual(reference.mergedFrom);
        },
      ),
      { numRuns: 500 },
    );
  });
});
