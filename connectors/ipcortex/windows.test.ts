import { describe, expect, it } from 'vitest';
import { dayScope, scheduledDays, windowDays } from './windows.js';

const at = (iso: string) => new Date(iso);

describe('ipcortex day windows', () => {
  it('scheduled: from the cursor’s next day minus the lookback, up to yesterday (local)', () => {
    expect(scheduledDays({ day: '2026-10-24' }, 2, 'Europe/London', at('2026-10-27T03:20:00Z'))).toEqual([
      '2026-10-23',
      '2026-10-24',
      '2026-10-25',
      '2026-10-26',
    ]);
    expect(scheduledDays({ day: '2026-10-26' }, 0, 'Europe/London', at('2026-10-27T03:20:00Z'))).toEqual([]);
    expect(scheduledDays({ day: '2026-10-25' }, 0, 'Europe/London', at('2026-10-27T03:20:00Z'))).toEqual([
      '2026-10-26',
    ]);
  });

  it('no cursor: yesterday and the lookback days before it; a malformed cursor counts as none', () => {
    expect(scheduledDays(null, 1, 'UTC', at('2026-01-01T00:30:00Z'))).toEqual(['2025-12-30', '2025-12-31']);
    expect(scheduledDays({ day: 'garbage' }, 0, 'UTC', at('2026-01-01T00:30:00Z'))).toEqual(['2025-12-31']);
  });

  it('the PABX zone decides which day “yesterday” is', () => {
    const now = at('2026-03-11T02:00:00Z');
    expect(scheduledDays(null, 0, 'UTC', now)).toEqual(['2026-03-10']);
    expect(scheduledDays(null, 0, 'America/New_York', now)).toEqual(['2026-03-09']);
    expect(scheduledDays(null, 0, 'Asia/Tokyo', now)).toEqual(['2026-03-10']);
  });

  it('backfill windows are half-open, in local days, and stop at today', () => {
    const now = at('2026-03-20T12:00:00Z');
    expect(windowDays({ from: at('2026-03-01T00:00:00Z'), to: at('2026-03-03T00:00:00Z') }, 'UTC', now)).toEqual([
      '2026-03-01',
      '2026-03-02',
    ]);
    // Midnight UTC in summer is 01:00 in London: the window touches three London days.
    expect(
      windowDays(
        { from: at('2026-06-01T00:00:00Z'), to: at('2026-06-03T00:00:00Z') },
        'Europe/London',
        at('2026-07-01T00:00:00Z'),
      ),
    ).toEqual(['2026-06-01', '2026-06-02', '2026-06-03']);
    expect(windowDays({ from: at('2026-03-19T00:00:00Z'), to: at('2026-04-30T00:00:00Z') }, 'UTC', now)).toEqual([
      '2026-03-19',
      '2026-03-20',
    ]);
    expect(windowDays({ from: at('2026-03-05T00:00:00Z'), to: at('2026-03-05T00:00:00Z') }, 'UTC', now)).toEqual([]);
  });

  it('a day becomes the documented scope', () => {
    expect(dayScope('2026-02-07')).toEqual({ year: 2026, month: 2, day: 7, days: 1 });
  });
});
