import { describe, expect, it } from 'vitest';
import { BACKOFF_CAP_MS, pollDelayMs } from './feed-schedule.js';

describe('pollDelayMs', () => {
  it.each([
    [60, 0, 60],
    [60, 1, 120],
    [60, 2, 240],
    [60, 3, 360],
    [60, 50, 360],
    [1, 1, 2],
    [1, 5, 32],
    [1, 9, 360],
    // A feed polled once a day is never polled more often for failing.
    [1440, 1, 1440],
    [1440, 9, 1440],
  ])('interval %i min, %i failures → %i min', (interval, failures, minutes) => {
    expect(pollDelayMs(interval, failures)).toBe(minutes * 60_000);
  });

  it('never shrinks as failures grow, never passes the cap or undercuts the interval', () => {
    for (const interval of [1, 5, 60, 500, 10_080]) {
      let last = 0;
      for (let f = 0; f < 100; f++) {
        const d = pollDelayMs(interval, f);
        expect(d).toBeGreaterThanOrEqual(last);
        expect(d).toBeGreaterThanOrEqual(interval * 60_000);
        expect(d).toBeLessThanOrEqual(Math.max(BACKOFF_CAP_MS, interval * 60_000));
        last = d;
      }
    }
  });
});
