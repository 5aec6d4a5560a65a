import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatsRepository } from '../src/stats/stats.repository.js';
import { createStatsService, type StatsService } from '../src/stats/stats.service.js';
import type { StatsDto } from '../src/stats/stats.dto.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { historyWriter } from './helpers/history.js';

const S = 1000;
const H = 3_600_000;
const DAY = 24 * H;
/** 2026-03-10T00:00:00Z: day 1 of the seeded history. */
const D = Date.UTC(2026, 2, 10);
const M = 1_000_000;

/**
 * A history of known content (see the comments for what each download is meant to exercise).
 * Numbers asserted below are worked out by hand from this list, not from the code.
 */
async function seed(db: TestDb, stats: StatsService): Promise<void> {
  const h = historyWriter(db);
  const src = (ext: string, peer: string, size: number, speed: number | null) => ({
    source: { ext, peer, size, speed },
  });
  // Day 1 (2026-03-10)
  const c1 = await h.add({
    artist: 'Alpha',
    createdAt: D + 1 * H,
    ...src('flac', 'p1', 30 * M, 1 * M),
  });
  await h.set(c1, 'completed', D + 1 * H + 60 * S);
  const c2 = await h.add({
    artist: 'Alpha',
    createdAt: D + 2 * H,
    ...src('flac', 'p1', 20 * M, 2 * M),
  });
  await h.set(c2, 'completed', D + 2 * H + 120 * S);
  const f1 = await h.add({
    artist: 'Beta',
    createdAt: D + 3 * H - S,
    ...src('mp3', 'p2', 7 * M, null),
  });
  await h.set(f1, 'failed', D + 3 * H, 'transfer_failed');
  const x1 = await h.add({ artist: 'Beta', createdAt: D + 4 * H - S });
  await h.set(x1, 'cancelled', D + 4 * H);
  // Fails on day 1, is retried and completes on day 3: counted once, completed, on day 3.
  const r1 = await h.add({
    artist: 'Alpha',
    createdAt: D + 4 * H + 30 * 60 * S,
    ...src('OGG', 'p1', 5 * M, 1.5 * M),
  });
  await h.set(r1, 'failed', D + 5 * H, 'transfer_failed');
  // Day 2 (2026-03-11)
  const c3 = await h.add({
    artist: 'Beta',
    createdAt: D + DAY + 10 * H,
    ...src('mp3', 'p2', 8 * M, 0.5 * M),
  });
  await h.set(c3, 'completed', D + DAY + 10 * H + 30 * S);
  const f2 = await h.add({ artist: 'Gamma', createdAt: D + DAY + 11 * H - S });
  await h.set(f2, 'failed', D + DAY + 11 * H, 'no_results');
  const f3 = await h.add({
    artist: 'Gamma',
    createdAt: D + DAY + 20 * H,
    ...src('mp3', 'p3', 9 * M, null),
  });
  await h.set(f3, 'failed', D + 2 * DAY - 1, 'transfer_failed');
  // Completed, then deleted: not counted.
  const d1 = await h.add({
    artist: 'Alpha',
    createdAt: D + DAY + 12 * H,
    ...src('flac', 'p9', 50 * M, 9 * M),
  });
  await h.set(d1, 'completed', D + DAY + 12 * H + S);

  // Half of the history rolled up, the rest (and the changes below) still deltas.
  await stats.fold();

  await h.remove(d1);
  // Day 3 (2026-03-12)
  const c4 = await h.add({
    artist: '=cmd',
    createdAt: D + 2 * DAY,
    ...src('flac', 'p3', 10 * M, null),
  });
  await h.set(c4, 'completed', D + 2 * DAY + 1000);
  await h.set(r1, 'waiting', D + 2 * DAY + 4 * H);
  await h.set(r1, 'completed', D + 2 * DAY + 5 * H);
  // Cancelled while it was being filed, then completed with the placed file (terminal → terminal).
  const y1 = await h.add({
    artist: 'Delta',
    createdAt: D + 2 * DAY + 5.5 * H,
    ...src('flac', 'p2', 12 * M, 3 * M),
  });
  await h.set(y1, 'cancelled', D + 2 * DAY + 6 * H);
  await h.set(y1, 'completed', D + 2 * DAY + 7 * H);
  // Unfinished: only in `queue`.
  await h.add({ artist: 'Omega', createdAt: D + 2 * DAY + 8 * H });
  const q1 = await h.add({ artist: 'Omega', createdAt: D + 2 * DAY + 8 * H });
  await h.set(q1, 'downloading', D + 2 * DAY + 9 * H);
}

const group = (
  name: string,
  completed: number,
  failed: number,
  cancelled: number,
  bytes: number,
  meanSpeed: number | null,
) => ({
  name,
  downloads: completed + failed + cancelled,
  completed,
  failed,
  cancelled,
  bytes,
  successRate: completed + failed === 0 ? null : completed / (completed + failed),
  meanSpeed,
});

const ALL: Omit<StatsDto, 'period'> = {
  totals: {
    downloads: 10,
    completed: 6,
    failed: 3,
    cancelled: 1,
    bytes: 85 * M,
    successRate: 6 / 9,
    // 60 + 120 + 30 + 1 + (2 d 30 min = 174,600) + 5,400 s over 6 completed
    meanDownloadSeconds: 30035.167,
    meanSizeBytes: 14_166_667,
    // (1 + 2 + 0.5 + 1.5 + 3) M / 5 with a speed
    meanSpeed: 1_600_000,
  },
  byStatus: { completed: 6, failed: 3, cancelled: 1 },
  queue: { waiting: 1, searching: 0, queued: 0, downloading: 1, processing: 0 },
  byFormat: [
    group('flac', 4, 0, 0, 72 * M, 2_000_000),
    group('mp3', 1, 2, 0, 8 * M, 500_000),
    group('ogg', 1, 0, 0, 5 * M, 1_500_000),
  ],
  byProvider: [group('slskd', 6, 2, 0, 85 * M, 1_600_000)],
  bySource: [
    group('p1', 3, 0, 0, 55 * M, 1_500_000),
    group('p2', 2, 1, 0, 20 * M, 1_750_000),
    group('p3', 1, 1, 0, 10 * M, null),
  ],
  failureReasons: [
    { code: 'transfer_failed', count: 2 },
    { code: 'no_results', count: 1 },
  ],
  topArtists: [
    group('Alpha', 3, 0, 0, 55 * M, 1_500_000),
    // Ties break by key, byte-wise on both databases: '=' < 'B' < 'D'.
    group('=cmd', 1, 0, 0, 10 * M, null),
    group('Beta', 1, 1, 1, 8 * M, 500_000),
    group('Delta', 1, 0, 0, 12 * M, 3_000_000),
  ],
  history: [
    { date: '2026-03-10', downloads: 4, completed: 2, failed: 1, cancelled: 1, bytes: 50 * M },
    { date: '2026-03-11', downloads: 3, completed: 1, failed: 2, cancelled: 0, bytes: 8 * M },
    { date: '2026-03-12', downloads: 3, completed: 3, failed: 0, cancelled: 0, bytes: 27 * M },
  ],
  speedHistory: [
    { at: new Date(D + 1 * H + 60 * S).toISOString(), bytesPerSecond: 1 * M },
    { at: new Date(D + 2 * H + 120 * S).toISOString(), bytesPerSecond: 2 * M },
    { at: new Date(D + DAY + 10 * H + 30 * S).toISOString(), bytesPerSecond: 0.5 * M },
    { at: new Date(D + 2 * DAY + 5 * H).toISOString(), bytesPerSecond: 1.5 * M },
    { at: new Date(D + 2 * DAY + 7 * H).toISOString(), bytesPerSecond: 3 * M },
  ],
};

describe.each(testDialects())('statistics on %s', (dialect) => {
  let db: TestDb;
  let stats: StatsService;

  beforeAll(async () => {
    db = await freshDb(dialect);
    stats = createStatsService({ repo: createStatsRepository(db) });
    await seed(db, stats);
  });
  afterAll(() => db.cleanup());

  it('period all: every section, exactly, with deltas pending and after folding them', async () => {
    const expected = {
      ...ALL,
      period: {
        from: new Date(D + 1 * H + 60 * S).toISOString(),
        to: new Date(D + 2 * DAY + 7 * H + 1).toISOString(),
        timeZone: 'UTC',
      },
    };
    expect(await stats.stats('all', 10)).toEqual(expected);
    expect(await stats.fold()).toBeGreaterThan(0);
    expect(await stats.fold()).toBe(0);
    expect(await stats.stats('all', 10)).toEqual(expected);
  });

  it('a period that is not whole days: from inclusive, to exclusive', async () => {
    // From c3's completion to f3's failure: c3 and f2 are in, f3 (exactly at `to`) is not.
    const r = await stats.stats({ from: D + DAY + 10 * H + 30 * S, to: D + 2 * DAY - 1 }, 10);
    expect(r.totals).toMatchObject({ downloads: 2, completed: 1, failed: 1, bytes: 8 * M });
    expect(r.failureReasons).toEqual([{ code: 'no_results', count: 1 }]);
    expect(r.history).toEqual([
      { date: '2026-03-11', downloads: 2, completed: 1, failed: 1, cancelled: 0, bytes: 8 * M },
    ]);
    expect(r.speedHistory).toEqual([
      { at: new Date(D + DAY + 10 * H + 30 * S).toISOString(), bytesPerSecond: 0.5 * M },
    ]);
  });

  it('a whole day (rolled up) plus an edge of the next (from the facts)', async () => {
    const r = await stats.stats({ from: D + DAY, to: D + 2 * DAY + 1001 }, 2);
    expect(r.byStatus).toEqual({ completed: 2, failed: 2, cancelled: 0 });
    expect(r.totals.bytes).toBe(18 * M);
    expect(r.bySource).toEqual([
      group('p3', 1, 1, 0, 10 * M, null),
      group('p2', 1, 0, 0, 8 * M, 500_000),
    ]);
    expect(r.topArtists).toEqual([
      group('=cmd', 1, 0, 0, 10 * M, null),
      group('Beta', 1, 0, 0, 8 * M, 500_000),
    ]);
    expect(r.history.map((d) => [d.date, d.downloads])).toEqual([
      ['2026-03-11', 3],
      ['2026-03-12', 1],
    ]);
  });

  it('an empty period: zeros, no means, days filled in', async () => {
    const r = await stats.stats({ from: D + 10 * DAY, to: D + 11 * DAY }, 10);
    expect(r.totals).toEqual({
      downloads: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      bytes: 0,
      successRate: null,
      meanDownloadSeconds: null,
      meanSizeBytes: null,
      meanSpeed: null,
    });
    expect([r.byFormat, r.bySource, r.failureReasons, r.topArtists, r.speedHistory]).toEqual([
      [],
      [],
      [],
      [],
      [],
    ]);
    expect(r.history).toEqual([
      { date: '2026-03-20', downloads: 0, completed: 0, failed: 0, cancelled: 0, bytes: 0 },
    ]);
    expect(r.queue.waiting).toBe(1);
  });

  it('the rollup equals the facts summed afresh (the invariant the fold keeps)', async () => {
    await stats.fold();
    const daily = await db.db
      .selectFrom('stats_daily')
      .select(['dim', 'day', 'key', 'completed', 'failed', 'cancelled', 'bytes'])
      .where((eb) =>
        eb.or([eb('completed', '<>', 0), eb('failed', '<>', 0), eb('cancelled', '<>', 0)]),
      )
      .where('dim', '=', 'peer')
      .orderBy('day')
      .orderBy('key')
      .execute();
    const facts = await db.db
      .selectFrom('stats_facts')
      .selectAll()
      .where('peer', 'is not', null)
      .execute();
    const expected = new Map<
      string,
      { completed: number; failed: number; cancelled: number; bytes: number }
    >();
    for (const f of facts) {
      const k = `${f.day}|${f.peer}`;
      const e = expected.get(k) ?? { completed: 0, failed: 0, cancelled: 0, bytes: 0 };
      e[f.status as 'completed' | 'failed' | 'cancelled'] += 1;
      e.bytes += Number(f.bytes);
      expected.set(k, e);
    }
    expect(
      Object.fromEntries(
        daily.map((r) => [
          `${Number(r.day)}|${r.key}`,
          {
            completed: r.completed,
            failed: r.failed,
            cancelled: r.cancelled,
            bytes: Number(r.bytes),
          },
        ]),
      ),
    ).toEqual(Object.fromEntries(expected));
  });
});
