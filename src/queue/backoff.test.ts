import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.js';

describe('retryDelayMs', () => {
  const noJitter = () => 0.5;
  it.each([
    [1, 60_000],
    [2, 300_000],
    [3, 900_000],
    [7, 900_000],
    [0, 60_000],
  ])('retry %i waits %i ms on the default ladder', (n, ms) => {
    expect(retryDelayMs(n, [60, 300, 900], noJitter)).toBe(ms);
  });
  it('jitters within ±10%', () => {
    expect(retryDelayMs(1, [100], () => 0)).toBe(90_000);
    expect(retryDelayMs(1, [100], () => 1)).toBe(110_000);
  });
});
