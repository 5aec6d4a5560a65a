import { describe, expect, it } from 'vitest';
import { formatBytes, formatRate, formatRelative, formatSpeed } from './format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [10 * 1024 * 1024, '10 MB'],
    [3.25 * 1024 ** 3, '3.3 GB'],
    [5 * 1024 ** 5, '5120 TB'],
  ])('%d → %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it('shows a dash for what is unknown', () => {
    expect(formatBytes(null)).toBe('—');
    expect(formatBytes(NaN)).toBe('—');
    expect(formatSpeed(undefined)).toBe('—');
  });

  it('adds /s for a speed', () => expect(formatSpeed(2048)).toBe('2.0 KB/s'));
});

describe('formatRate', () => {
  it('rounds to a whole percent', () => {
    expect(formatRate(0.953)).toBe('95%');
    expect(formatRate(1)).toBe('100%');
    expect(formatRate(null)).toBe('—');
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  it('says past and future in the largest whole unit', () => {
    expect(formatRelative('2026-01-01T11:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-01-03T12:00:00Z', now)).toBe('in 2 d');
    expect(formatRelative('2026-01-01T12:00:00.500Z', now)).toBe('now');
    expect(formatRelative(null, now)).toBe('never');
  });
});
