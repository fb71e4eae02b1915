import { describe, expect, it } from 'vitest';
import { dayWindows } from './poll.js';

describe('backfill day windows', () => {
  const iso = (w: { from: Date; to: Date }) => [w.from.toISOString(), w.to.toISOString()];

  it('cut a UTC range at UTC midnights', () => {
    expect(
      dayWindows({ from: new Date('2024-05-01T00:00:00Z'), to: new Date('2024-05-03T00:00:00Z') }, 'UTC').map(iso),
    ).toEqual([
      ['2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z'],
      ['2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z'],
    ]);
  });

  it('cut at local midnights, with the 23-hour spring-forward day', () => {
    expect(
      dayWindows({ from: new Date('2024-03-30T00:00:00Z'), to: new Date('2024-04-01T00:00:00Z') }, 'Europe/London').map(
        iso,
      ),
    ).toEqual([
      ['2024-03-30T00:00:00.000Z', '2024-03-31T00:00:00.000Z'],
      ['2024-03-31T00:00:00.000Z', '2024-03-31T23:00:00.000Z'],
      ['2024-03-31T23:00:00.000Z', '2024-04-01T00:00:00.000Z'],
    ]);
  });
});
