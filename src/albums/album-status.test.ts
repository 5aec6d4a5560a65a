import { describe, expect, it } from 'vitest';
import { DOWNLOAD_STATUSES } from '../downloads/download.js';
import {
  ALBUM_STATUSES,
  ALBUM_STATUS_RULES,
  albumStatus,
  countTracks,
  type TrackCounts,
} from './album-status.js';

function* allCounts(max: number): Generator<TrackCounts> {
  for (let waiting = 0; waiting <= max; waiting++)
    for (let working = 0; working <= max; working++)
      for (let completed = 0; completed <= max; completed++)
        for (let failed = 0; failed <= max; failed++)
          for (let cancelled = 0; cancelled <= max; cancelled++) {
            yield { waiting, working, completed, failed, cancelled };
          }
}

describe('album status rules', () => {
  it('has exactly one rule holding for every album, an empty one too', () => {
    const seen = new Set<string>();
    for (const c of allCounts(3)) {
      const holding = ALBUM_STATUS_RULES.filter((r) => r.when(c)).map((r) => r.status);
      expect(holding, JSON.stringify(c)).toHaveLength(1);
      seen.add(holding[0]!);
    }
    // Every status is reachable, each named once.
    expect([...seen].sort()).toEqual([...ALBUM_STATUSES].sort());
    expect(new Set(ALBUM_STATUS_RULES.map((r) => r.status)).size).toBe(ALBUM_STATUS_RULES.length);
  });

  it('is completed only when every track is, and active while any track is', () => {
    for (const c of allCounts(2)) {
      const total = c.waiting + c.working + c.completed + c.failed + c.cancelled;
      const s = albumStatus(c);
      expect(s === 'completed', JSON.stringify(c)).toBe(total > 0 && c.completed === total);
      expect(s === 'empty', JSON.stringify(c)).toBe(total === 0);
      expect(s === 'wanted' || s === 'downloading', JSON.stringify(c)).toBe(
        c.waiting + c.working > 0,
      );
    }
  });

  it.each([
    [{ waiting: 3 }, 'wanted'],
    [{ waiting: 2, working: 1 }, 'downloading'],
    [{ waiting: 1, completed: 2 }, 'downloading'],
    [{ working: 1, failed: 1 }, 'downloading'],
    [{ completed: 3 }, 'completed'],
    [{ completed: 2, failed: 1 }, 'partial'],
    [{ completed: 2, cancelled: 1 }, 'partial'],
    [{ failed: 2, cancelled: 1 }, 'failed'],
    [{ cancelled: 3 }, 'cancelled'],
    [{}, 'empty'],
  ] as const)('%j → %s', (partial, expected) => {
    const c = { waiting: 0, working: 0, completed: 0, failed: 0, cancelled: 0, ...partial };
    expect(albumStatus(c)).toBe(expected);
  });

  it('groups every download status', () => {
    const c = countTracks(DOWNLOAD_STATUSES.map((status) => ({ status, n: 1 })));
    expect(c).toEqual({ waiting: 1, working: 4, completed: 1, failed: 1, cancelled: 1 });
  });
});
