import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallhouseError } from '../../runtime/errors.js';
import { normaliseIpcortex } from './index.js';
import { CallMerger } from './merge.js';
import { testContext } from './fixtures.js';

const acctid = fc.integer({ min: 1, max: 2 ** 40 });
const calldate = fc.integer({ min: 1_000_000_000, max: 2_000_000_000 });
const secs = fc.integer({ min: 0, max: 86_400 });
const detail = fc.constantFrom('Answered', 'Not answered', 'Busy', '', 'Odd value');

const inCall = fc.record({
  acctid,
  calldate,
  caller: fc.constantFrom('203', '01632960123', '+447700900123', 'anonymous', ''),
  type: fc.constantFrom('Internal', 'External'),
  ringtime: secs,
  billsecs: secs,
  detail,
  qtime: fc.oneof(fc.constant(''), secs.map(String)),
  qstatus: fc.constantFrom('', 'ANSWERED', 'ABANDONED', 'TIMEOUT'),
});
const outCall = fc.record({
  acctid,
  calldate,
  type: fc.constantFrom('Internal', 'National', 'Mobile', 'Test Number'),
  called: fc.constantFrom('200', '*600', '07700900123', '0033140000123'),
  dialled: fc.constantFrom('200', '*600', '07700900123', ''),
  billsecs: secs,
  ringtime: secs,
  cost: fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 10_000_000 })),
  trunk: fc.constantFrom('', 'SIPTRUNK1'),
  cid: fc.constantFrom('301', '02079460000'),
});

const normalise = (body: unknown, extra: Record<string, unknown> = {}) =>
  normaliseIpcortex(Buffer.from(JSON.stringify(body)), 'application/json', testContext({}, extra));

describe('ipcortex normaliser properties', () => {
  it('any valid merged call → one record, deterministic, call_id = acctid, total = ring + talk', () => {
    fc.assert(
      fc.property(fc.option(inCall, { nil: undefined }), outCall, fc.boolean(), (inn, out, withIn) => {
        const body = {
          company: 'c',
          company_name: '',
          ...(withIn && inn ? { in: { extension: '200', name: 'x', call: { ...inn, acctid: out.acctid } } } : {}),
          out: { device_id: 'd', name: 'n', device: 'dev', call: out },
        };
        const first = normalise(body);
        expect(normalise(body)).toEqual(first);
        expect(first.calls).toHaveLength(1);
        const c = first.calls[0]!;
        expect(c.call_id).toBe(String(out.acctid));
        expect(c.total_seconds).toBe(c.ring_seconds + c.talk_seconds);
        if (withIn && inn) expect(c.direction).toBe('internal');
        else expect(c.disposition).toBe(out.billsecs > 0 ? 'answered' : 'no_answer');
      }),
    );
  });

  it('cost in pence with cost_divisor 100 is the exact decimal', () => {
    fc.assert(
      fc.property(outCall, fc.integer({ min: 0, max: 1_000_000_000 }), (out, pence) => {
        const c = normalise(
          {
            company: 'c',
            company_name: '',
            out: { device_id: 'd', name: '', device: '', call: { ...out, cost: pence } },
          },
          { cost_divisor: 100 },
        ).calls[0]!;
        const [whole, frac = ''] = c.cost!.split('.');
        expect(BigInt(whole!) * 100n + BigInt(frac.padEnd(2, '0'))).toBe(BigInt(pence));
      }),
    );
  });

  it('arbitrary bytes or JSON never escape as anything but a CallhouseError', () => {
    const anyBody = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
      fc
        .record({ company: fc.string(), in: fc.jsonValue(), out: fc.jsonValue() })
        .map((v) => Buffer.from(JSON.stringify(v))),
    );
    fc.assert(
      fc.property(
        anyBody,
        fc.constantFrom<Record<string, string>>({}, { endpoint: 'outsummary', company: 'x', month: '2020-01' }),
        (body, meta) => {
          try {
            normaliseIpcortex(body, 'application/json', testContext(meta));
          } catch (e) {
            expect(e).toBeInstanceOf(CallhouseError);
          }
        },
      ),
    );
  });

  it('merging in any order gives the same payloads', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.boolean()), { maxLength: 40 }), (items) => {
        const build = (list: typeof items) => {
          const m = new CallMerger();
          for (const [id, side] of list) {
            const call = { acctid: id, billsecs: 5 };
            if (side) m.addIn('c', 'C', { extension: '200', name: '', call });
            else m.addOut('c', 'C', { device_id: 'd', name: '', device: '', call });
          }
          return m.result();
        };
        const a = build(items);
        expect(build([...items].reverse())).toEqual(a);
        expect(a.calls.map((c) => c.key)).toEqual(
          [...new Set(items.map(([id]) => String(id)))].sort((x, y) => Number(x) - Number(y)),
        );
      }),
    );
  });
});
