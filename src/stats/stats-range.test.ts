import { describe, expect, it } from 'vitest';
import { parseTime, PERIOD_MS, resolveRange } from './stats-range.js';

const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

describe('parseTime', () => {
  it.each([
    ['0', 0],
    ['1773100800000', 1773100800000],
    ['2026-03-01', Date.UTC(2026, 2, 1)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['2026-03-01T12:30Z', Date.UTC(2026, 2, 1, 12, 30)],
    ['2026-03-01T12:30:15Z', Date.UTC(2026, 2, 1, 12, 30, 15)],
    ['2026-03-01T12:30:15.5Z', Date.UTC(2026, 2, 1, 12, 30, 15, 500)],
    ['2026-03-01T12:30:15.123+02:00', Date.UTC(2026, 2, 1, 10, 30, 15, 123)],
    ['2026-03-01T00:00:00-05:45', Date.UTC(2026, 2, 1, 5, 45)],
  ])('%s → %d', (text, ms) => expect(parseTime(text)).toBe(ms));

  it.each([
    '',
    'yesterday',
    '-5',
    '1.5',
    '99999999999999999',
    '2026-02-30',
    '2025-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-03-01T24:00Z',
    '2026-03-01T12:60Z',
    '2026-03-01T12:00', // no offset: would depend on the server's zone
    '2026-03-01T12:00+24:00',
    '1969-12-31',
    '2026-3-1',
  ])('%j is refused', (text) => expect(parseTime(text)).toBeNull());
});

describe('resolveRange', () => {
  it.each([
    [{}, { kind: 'range', from: NOW + 1 - PERIOD_MS.week, to: NOW + 1 }],
    [{ period: 'day' as const }, { kind: 'range', from: NOW + 1 - 86_400_000, to: NOW + 1 }],
    [{ period: 'month' as const }, { kind: 'range', from: NOW + 1 - 30 * 86_400_000, to: NOW + 1 }],
    [{ period: 'all' as const }, { kind: 'all' }],
    [{ from: '2026-01-01' }, { kind: 'range', from: Date.UTC(2026, 0, 1), to: NOW + 1 }],
    [{ to: '2026-01-01' }, { kind: 'range', from: 0, to: Date.UTC(2026, 0, 1) }],
    [
      { from: '5', to: '5' },
      { kind: 'range', from: 5, to: 5 },
    ],
  ])('%j', (query, expected) => expect(resolveRange(query, NOW)).toEqual(expected));

  it.each([
    [{ period: 'week' as const, from: '0' }, 'period'],
    [{ period: 'all' as const, to: '0' }, 'period'],
    [{ from: 'soon' }, 'from'],
    [{ to: '2026-02-30' }, 'to'],
    [{ from: '6', to: '5' }, 'from'],
  ])('%j names %s', (query, field) =>
    expect(resolveRange(query, NOW)).toMatchObject({ kind: 'error', field }),
  );
});
