import { describe, expect, it } from 'vitest';
import { exportHref, historyStatuses, inHistory, upsertFirst } from './history-query';

describe('historyStatuses', () => {
  it('is every finished status when none is ticked, else the ticked ones in a fixed order', () => {
    expect(historyStatuses([])).toEqual(['completed', 'failed', 'cancelled']);
    expect(historyStatuses(['cancelled', 'failed'])).toEqual(['failed', 'cancelled']);
    expect(historyStatuses(['downloading'])).toEqual(['completed', 'failed', 'cancelled']);
  });
});

describe('exportHref', () => {
  it('carries the format and the filter', () => {
    expect(exportHref('csv', ['failed'])).toBe('/api/downloads/export?format=csv&status=failed');
    expect(exportHref('json', [])).toBe(
      '/api/downloads/export?format=json&status=completed%2Cfailed%2Ccancelled',
    );
  });
});

describe('inHistory', () => {
  it('keeps unfinished downloads out and follows the filter', () => {
    expect(inHistory('completed', [])).toBe(true);
    expect(inHistory('downloading', [])).toBe(false);
    expect(inHistory('completed', ['failed'])).toBe(false);
  });
});

describe('upsertFirst', () => {
  it('replaces in place or puts first', () => {
    const a = { id: 'a', n: 1 };
    const b = { id: 'b', n: 1 };
    expect(upsertFirst([a, b], { id: 'b', n: 2 })).toEqual([a, { id: 'b', n: 2 }]);
    expect(upsertFirst([a], b)).toEqual([b, a]);
  });
});
