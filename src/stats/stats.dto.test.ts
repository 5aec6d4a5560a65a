import { describe, expect, it } from 'vitest';
import type { DaySums } from './stats.repository.js';
import { MAX_FILLED_DAYS, toHistory } from './stats.dto.js';

const DAY = 86_400_000;
const day = (t: number, completed = 1): DaySums => ({
  day: Math.floor(t / DAY) * DAY,
  completed,
  failed: 0,
  cancelled: 0,
  bytes: 10 * completed,
  durationMs: 0,
  speedSum: 0,
  speedN: 0,
});

describe('toHistory stays as big as the data', () => {
  const t = Date.UTC(2026, 5, 1);

  it('fills the empty days of a short range', () => {
    const h = toHistory([day(t), day(t + 3 * DAY, 2)], t, t + 5 * DAY);
    expect(h.map((d) => [d.date, d.completed])).toEqual([
      ['2026-06-01', 1],
      ['2026-06-02', 0],
      ['2026-06-03', 0],
      ['2026-06-04', 2],
      ['2026-06-05', 0],
    ]);
  });

  it('narrows a wide range to the days with data, filled between them', () => {
    const h = toHistory([day(t), day(t + 2 * DAY)], 0, 8.64e15);
    expect(h.map((d) => d.date)).toEqual(['2026-06-01', '2026-06-02', '2026-06-03']);
  });

  it('lists only the days with data when even they are far apart (no 20,000 empty days)', () => {
    const h = toHistory([day(0), day(t, 3)], 0, t + DAY);
    expect(h).toEqual([
      { date: '1970-01-01', downloads: 1, completed: 1, failed: 0, cancelled: 0, bytes: 10 },
      { date: '2026-06-01', downloads: 3, completed: 3, failed: 0, cancelled: 0, bytes: 30 },
    ]);
    const edge = toHistory([day(t), day(t + MAX_FILLED_DAYS * DAY)], 0, 8.64e15);
    expect(edge).toHaveLength(MAX_FILLED_DAYS + 1);
  });
});
