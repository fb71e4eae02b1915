import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { CH_FORMAT, toChLocal, toChUtc, zoneOf } from './times.js';

// Whole-hour, half-hour and 45-minute offsets; a 30-minute DST shift (Lord Howe); zones whose
// rules changed; and UTC.
const ZONES = [
  'Europe/London',
  'America/New_York',
  'Asia/Jerusalem',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'Australia/Lord_Howe',
  'America/Sao_Paulo',
  'Europe/Moscow',
  'Africa/Casablanca',
  'UTC',
];
const instant = fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2100, 0, 1) });

describe('remembered zone offsets', () => {
  it('always equal the offsets Intl gives, around transitions too (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instant, fc.integer({ min: -2, max: 2 }), (zone, ts, nudge) => {
        const plain = new IANAZone(zone);
        // The transition nearest to ts, if any in the day around it, and the milliseconds either side.
        const probes = [ts, ts + nudge];
        for (let h = -24; h <= 24; h++) {
          const a = ts + h * 3_600_000;
          if (plain.offset(a) !== plain.offset(a + 3_600_000)) {
            let lo = a;
            let hi = a + 3_600_000;
            while (hi - lo > 1) {
              const mid = Math.floor((lo + hi) / 2);
              if (plain.offset(mid) === plain.offset(lo)) lo = mid;
              else hi = mid;
            }
            probes.push(lo, hi, hi + nudge);
          }
        }
        for (const p of probes) expect(zoneOf(zone).offset(p), `${zone} at ${p}`).toBe(plain.offset(p));
      }),
      { numRuns: 300 },
    );
  });

  it('give the same local wall-clock and UTC text as luxon with the zone by name (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), instant, (zone, ts) => {
        const dt = DateTime.fromMillis(ts, { zone: 'UTC' });
        expect(toChLocal(dt, zone)).toBe(dt.setZone(zone).toFormat(CH_FORMAT));
        expect(toChUtc(dt)).toBe(dt.toFormat(CH_FORMAT));
      }),
      { numRuns: 500 },
    );
  });

  it('reads a local time in a zone the same as luxon does, in DST gaps and overlaps too', () => {
    for (const [zone, local] of [
      ['Europe/London', '2024-03-31T01:30:00'], // gap
      ['Europe/London', '2024-10-27T01:30:00'], // overlap
      ['Australia/Lord_Howe', '2024-10-06T02:15:00'], // 30-minute gap
      ['America/New_York', '2024-11-03T01:59:59.999'],
    ] as const) {
      const ours = DateTime.fromISO(local, { zone: zoneOf(zone) });
      const theirs = DateTime.fromISO(local, { zone });
      expect(ours.toMillis(), `${zone} ${local}`).toBe(theirs.toMillis());
    }
  });

  it('leaves an unknown zone invalid', () => {
    expect(zoneOf('Europe/Londn').isValid).toBe(false);
    expect(toChLocal(DateTime.utc(), 'Europe/Londn')).toBe('Invalid DateTime');
  });
});
