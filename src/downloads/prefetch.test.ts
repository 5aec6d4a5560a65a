import { describe, expect, it } from 'vitest';
import { planPrefetch, prefetchDepth, type PrefetchPlanInput } from './prefetch.js';
import type { NextDue } from './prefetch.repository.js';
import { needsSearch, PREFETCH_FRESH_MS, type StoredCandidates } from './search.step.js';

const row = (id: string, searchable = true): NextDue => ({
  id,
  artist: 'A',
  title: id,
  album: null,
  duration_seconds: null,
  updated_at: 1,
  searchable,
});
const plan = (over: Partial<PrefetchPlanInput>): string[] =>
  planPrefetch({
    maxConcurrent: 3,
    endingSoon: 3,
    inFlight: new Set(),
    marked: new Set(),
    searchingAhead: 0,
    workersSearching: 0,
    rows: ['a', 'b', 'c', 'd', 'e'].map((id) => row(id)),
    recentlyTried: () => false,
    ...over,
  });

describe('prefetchDepth', () => {
  it.each([
    // maxConcurrent, ending soon → depth (free slots are the runner's, not counted)
    [3, 0, 0],
    [3, 2, 2],
    [3, 5, 3],
    [10, 8, 8],
  ])('max %i, %i ending soon → %i', (max, soon, depth) => {
    expect(prefetchDepth(max, soon)).toBe(depth);
  });
});

describe('planPrefetch', () => {
  it('searches as deep as slots will free, in queue order', () => {
    expect(plan({ endingSoon: 2 })).toEqual(['a', 'b']);
    expect(plan({ endingSoon: 0 })).toEqual([]);
  });
  it('skips what is not searchable, in flight or tried lately, without going deeper', () => {
    const rows = [row('a', false), row('b'), row('c'), row('d')];
    expect(plan({ rows, inFlight: new Set(['b']) })).toEqual(['c']);
    expect(plan({ rows, recentlyTried: (id) => id === 'c' })).toEqual(['b']);
  });
  it("leaves downloads another process has marked, and counts every process's searches ahead", () => {
    const rows = [row('a'), row('b'), row('c'), row('d')];
    expect(plan({ rows, marked: new Set(['a', 'c']) })).toEqual(['b']);
    // Two searches ahead run in other processes: one of the three left.
    expect(plan({ rows, searchingAhead: 2 })).toEqual(['a']);
    expect(plan({ rows, searchingAhead: 3 })).toEqual([]);
  });
  it('runs at most min(maxConcurrent, 4) searches, workers first', () => {
    expect(plan({ maxConcurrent: 10, endingSoon: 10 })).toEqual(['a', 'b', 'c', 'd']);
    expect(plan({ maxConcurrent: 10, endingSoon: 10, workersSearching: 3 })).toEqual(['a']);
    expect(plan({ workersSearching: 3 })).toEqual([]);
    expect(plan({ inFlight: new Set(['x', 'y']) })).toEqual(['a']);
  });
});

describe('needsSearch', () => {
  const stored = (prefetchedAt?: number, ranked = 1): StoredCandidates => ({
    query: 'q',
    ranked: Array.from({ length: ranked }, () => ({
      candidate: {
        provider: 'slskd',
        username: 'u',
        filename: 'f.flac',
        size: 1,
        extension: 'flac',
        hasFreeUploadSlot: true,
        queueLength: 0,
        uploadSpeed: 1,
      },
      score: 1,
      notes: [],
    })),
    rejected: [],
    ...(prefetchedAt !== undefined ? { prefetchedAt } : {}),
  });
  const now = 1_000_000;
  it.each([
    ['nothing stored', null, true],
    ['no ranked candidates', stored(undefined, 0), true],
    ["the worker's own search", stored(undefined), false],
    ['found ahead just now', stored(now), false],
    ['found ahead at the bound', stored(now - PREFETCH_FRESH_MS), false],
    ['found ahead past the bound', stored(now - PREFETCH_FRESH_MS - 1), true],
  ])('%s → %s', (_name, value, expected) => {
    expect(needsSearch(value, now)).toBe(expected);
  });
});
