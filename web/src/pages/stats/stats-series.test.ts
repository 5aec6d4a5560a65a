import { describe, expect, it } from 'vitest';
import {
  bytesPerDay,
  downloadsPerDay,
  failureRatePerDay,
  hasPoints,
  reasonShares,
  speedSeries,
} from './stats-series';

const day = (date: string, completed: number, failed: number, bytes = 0) => ({
  date,
  downloads: completed + failed,
  completed,
  failed,
  cancelled: 0,
  bytes,
});

describe('daily series', () => {
  const history = [day('2026-03-02', 1, 1, 3 * 1_048_576), day('2026-03-01', 4, 0, 1_572_864)];

  it('sorts days and gives UTC-midnight seconds as x', () => {
    const s = downloadsPerDay(history);
    expect(s.data[0]).toEqual([Date.UTC(2026, 2, 1) / 1000, Date.UTC(2026, 2, 2) / 1000]);
    expect(s.data[1]).toEqual([4, 1]);
    expect(s.data[2]).toEqual([0, 1]);
    expect(s.labels).toHaveLength(s.data.length - 1);
  });

  it('gives megabytes per day', () => {
    expect(bytesPerDay(history).data[1]).toEqual([1.5, 3]);
  });

  it('gives the failure rate, null on a day without finished downloads', () => {
    const s = failureRatePerDay([...history, day('2026-03-03', 0, 0)]);
    expect(s.data[1]).toEqual([0, 1, 0]);
    expect(s.data[2]).toEqual([0, 50, null]);
  });
});

describe('speedSeries', () => {
  it('orders samples by time in KB/s and drops bad times', () => {
    const s = speedSeries([
      { at: '2026-03-01T10:00:00Z', bytesPerSecond: 2048 },
      { at: 'not a time', bytesPerSecond: 1 },
      { at: '2026-03-01T09:00:00Z', bytesPerSecond: 512 },
    ]);
    expect(s.data[0]).toEqual([Date.UTC(2026, 2, 1, 9) / 1000, Date.UTC(2026, 2, 1, 10) / 1000]);
    expect(s.data[1]).toEqual([0.5, 2]);
  });
});

describe('hasPoints', () => {
  it('is false for no days or only zeros, true with a value', () => {
    expect(hasPoints(downloadsPerDay([]))).toBe(false);
    expect(hasPoints(downloadsPerDay([day('2026-03-01', 0, 0)]))).toBe(false);
    expect(hasPoints(downloadsPerDay([day('2026-03-01', 0, 2)]))).toBe(true);
  });
});

describe('reasonShares', () => {
  it('sorts by count and gives each share', () => {
    expect(
      reasonShares([
        { code: 'stalled', count: 1 },
        { code: 'no_results', count: 3 },
      ]),
    ).toEqual([
      { code: 'no_results', count: 3, share: 0.75 },
      { code: 'stalled', count: 1, share: 0.25 },
    ]);
    expect(reasonShares([])).toEqual([]);
  });
});
