import { DateTime } from 'luxon';
import { describe, expect, test } from 'vitest';
import { config, normaliseContext } from '../../connectors/yeastar-p/testing.js';
import { ingest } from '../../connectors/yeastar-p/ingest.js';
import { normaliseYeastarP } from '../../transforms/yeastar-p/index.js';
import { buildCallEvents } from './events.js';

const cfg = config({ timezone: 'Asia/Shanghai', country: 'CN' });
const start = DateTime.fromISO('2026-03-02T08:00:00', { zone: 'Asia/Shanghai' });

describe('simulated Yeastar P webhook calls', () => {
  const calls = buildCallEvents({ seed: 3, count: 40, timezone: 'Asia/Shanghai', start });

  test('each call ends in exactly one counted calls row (30012) under its uid, in the PBX zone', () => {
    for (const c of calls) {
      const out = c.bodies.flatMap((b) => {
        const [payload] = ingest.accept(Buffer.from(b), 'application/json', cfg);
        return normaliseYeastarP(payload!.body, 'application/json', normaliseContext(cfg)).calls;
      });
      const counted = out.filter((r) => r.leg === 0);
      expect(counted.map((r) => r.call_id)).toEqual([c.uid]);
      expect(counted[0]!.direction).toBe(c.direction);
      expect(counted[0]!.vendor_status).toBe(c.status);
      // Started after 08:00 Shanghai (00:00 UTC) the same day.
      expect(counted[0]!.started_at >= '2026-03-02 00:00:00.000').toBe(true);
      for (const leg of out.filter((r) => r.leg !== 0)) expect(leg.parent_call_id).toBe(c.uid);
    }
  });

  test('the mix has every direction, queue legs (30039) and more than one outcome', () => {
    expect(new Set(calls.map((c) => c.direction))).toEqual(new Set(['inbound', 'outbound', 'internal']));
    const types = calls.flatMap((c) => c.bodies.map((b) => (JSON.parse(b) as { type: number }).type));
    expect(new Set(types)).toEqual(new Set([30011, 30012, 30039]));
    expect(new Set(calls.map((c) => c.status)).size).toBeGreaterThan(2);
    expect(new Set(calls.map((c) => c.uid)).size).toBe(calls.length);
  });
});
