import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { CH_FORMAT, chUtcOfMillis, nowCh, parseTime, plusSeconds, toChLocal, toChUtc, zoneOf } from './times.js';

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

  it('give the same instant as the zone by name when luxon reads a local time with them', () => {
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

describe('parseTime of YYYY-MM-DD HH:MM:SS', () => {
  const two = (n: number): string => String(n).padStart(2, '0');
  // Luxon's reading, except in a repeated hour, where luxon takes either reading by accident of
  // its first guess and the documented rule is the earlier one: found here by trying every
  // quarter-hour offset against plain Intl offsets.
  const reference = (s: string, zone: string): number | 'invalid' => {
    const dt = DateTime.fromFormat(s, 'yyyy-MM-dd HH:mm:ss', { zone, locale: 'en-US' });
    if (!dt.isValid) return 'invalid';
    const naive = DateTime.fromFormat(s, 'yyyy-MM-dd HH:mm:ss', { zone: 'UTC' }).toMillis();
    const plain = new IANAZone(zone);
    const readings: number[] = [];
    for (let q = -14 * 4; q <= 14 * 4; q++) {
      const t = naive - q * 15 * 60_000;
      if (plain.offset(t) === q * 15) readings.push(t);
    }
    return readings.length > 1 ? Math.min(...readings) : dt.toMillis();
  };
  const ours = (s: string, zone: string): number | 'invalid' => {
    try {
      return parseTime(s, { zone }).toMillis();
    } catch {
      return 'invalid';
    }
  };

  it('reads what luxon reads with that format, invalid fields and DST gaps and overlaps too (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 1990, max: 2100 }),
        // Fields past their ranges too: month 13, day 31 of a short month, hour 24, minute 60.
        fc.tuple(
          fc.integer({ min: 0, max: 13 }),
          fc.integer({ min: 0, max: 32 }),
          fc.integer({ min: 0, max: 24 }),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 0, max: 60 }),
        ),
        (zone, year, [month, day, hour, minute, second]) => {
          const s = `${year}-${two(month)}-${two(day)} ${two(hour)}:${two(minute)}:${two(second)}`;
          expect(ours(s, zone), `${zone} ${s}`).toBe(reference(s, zone));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads local times in a gap and an overlap by the documented rule (worked out by hand)', () => {
    for (const [zone, s, utc] of [
      // Gap: the clock went 01:00 → 02:00 GMT→BST; 01:30 is read as 02:30 BST.
      ['Europe/London', '2024-03-31 01:30:00', '2024-03-31T01:30:00.000Z'],
      // Repeated hour: 01:30 BST (00:30Z) first, 01:30 GMT (01:30Z) an hour later; earlier wins.
      ['Europe/London', '2024-10-27 01:30:00', '2024-10-27T00:30:00.000Z'],
      // Lord Howe moves by 30 minutes: 02:00 +10:30 → 02:30 +11, so 02:15 is read as 02:45 +11.
      ['Australia/Lord_Howe', '2024-10-06 02:15:00', '2024-10-05T15:45:00.000Z'],
      // 02:00 +11 → 01:30 +10:30: 01:45 happens at 14:45Z (+11) and 15:15Z (+10:30).
      ['Australia/Lord_Howe', '2024-04-07 01:45:00', '2024-04-06T14:45:00.000Z'],
      // New York: 01:30 EDT (05:30Z), then 01:30 EST (06:30Z).
      ['America/New_York', '2024-11-03 01:30:00', '2024-11-03T05:30:00.000Z'],
    ] as const) {
      expect(parseTime(s, { zone }).toISO(), `${zone} ${s}`).toBe(utc);
      expect(ours(s, zone), `${zone} ${s}`).toBe(reference(s, zone));
    }
  });

  it('still says which field is wrong, and still refuses an unknown zone', () => {
    expect(() => parseTime('2024-02-30 10:00:00', { zone: 'UTC', field: 'timestart' })).toThrow(
      /timestart: not a time: "2024-02-30 10:00:00"/,
    );
    expect(() => parseTime('2024-02-03 10:00:00', { zone: 'Europe/Londn' })).toThrow(/unknown time zone/);
  });
});

describe('parseTime of ISO 8601 without an offset', () => {
  it('refuses text luxon cannot read as INVALID_VALUE, not with a crash', () => {
    for (const bad of ['2024-06-10T', '2024-06-10T0', '2024-13-45T10:00:00', '2024-06-10T25:61', '2024-06-10Tx'])
      expect(() => parseTime(bad, { zone: 'Europe/London', field: 'Date' }), bad).toThrow(
        expect.objectContaining({ code: 'INVALID_VALUE' }),
      );
    expect(toChUtc(parseTime('2024-06-10T09:04:58', { zone: 'Europe/London' }))).toBe('2024-06-10 08:04:58.000');
  });
});

describe('plusSeconds', () => {
  it('gives what luxon plus gives, in any zone and across transitions (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        instant,
        fc.oneof(fc.integer({ min: -100_000, max: 100_000 }), fc.double({ min: -1000, max: 1000, noNaN: true })),
        (zone, ts, seconds) => {
          const dt = DateTime.fromMillis(ts, { zone });
          const ours = plusSeconds(dt, seconds);
          const theirs = dt.plus({ seconds });
          expect(ours.toMillis()).toBe(theirs.toMillis());
          expect(ours.zoneName).toBe(theirs.zoneName);
          expect(ours.toISO()).toBe(theirs.toISO());
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('chUtcOfMillis', () => {
  it('writes any instant as toChUtc does (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }), (ms) => {
        expect(chUtcOfMillis(ms)).toBe(toChUtc(DateTime.fromMillis(ms)));
      }),
      { numRuns: 5000 },
    );
    for (const ms of [0, 999, 1_000, 951_782_400_000, 253_402_300_799_999, -1]) {
      expect(chUtcOfMillis(ms), String(ms)).toBe(toChUtc(DateTime.fromMillis(ms)));
    }
  });

  it('gives nowCh the current time', () => {
    const before = toChUtc(DateTime.utc());
    const now = nowCh();
    const after = toChUtc(DateTime.utc());
    expect(now >= before && now <= after).toBe(true);
    expect(now).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
  });
});
