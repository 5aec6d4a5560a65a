import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { createQueueControlRepository } from '../src/downloads/queue-control.repository.js';
import { createNotificationsRepository } from '../src/notifications/notifications.repository.js';
import { createAlbumsRepository } from '../src/albums/albums.repository.js';
import { createPrefetchRepository } from '../src/downloads/prefetch.repository.js';
import { createEventLog } from '../src/events/event-log.js';
import { createQueueRepository } from '../src/queue/queue.repository.js';
import { createRetryWakeRepository, WAKE_ROUND } from '../src/queue/retry-wake.repository.js';
import { wakeDueRetries } from '../src/queue/retry-wake.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

const NOW = 1_800_000_000_000;
const LEASE = 30_000;

/**
 * Downloads waiting out a retry backoff (`next_retry_at` set, migration 035) are out of the
 * claim's order until `wakeRetries` puts them back; everything that makes one due at once ends
 * the backoff with it.
 */
describe.each(testDialects())('retry backoff and the claim on %s', (dialect) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(dialect);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const retries = () => createRetryWakeRepository(db);
  /** A download whose retry is due at `at` (as `retryLater` leaves it). */
  const retrying = (at: number, overrides: Parameters<typeof downloadRow>[0] = {}) =>
    downloadRow({ run_after: at, next_retry_at: at, retry_count: 1, ...overrides });
  const nextRetryAt = async (id: string) =>
    (
      await db.db
        .selectFrom('downloads')
        .select('next_retry_at')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).next_retry_at;

  it('claims a retry only once woken, and wakes it only when its time has come', async () => {
    const queue = createQueueRepository(db);
    const row = retrying(NOW + 1000);
    await db.db.insertInto('downloads').values(row).execute();

    expect(await retries().wakeRetries(NOW + 999)).toEqual([]);
    expect(await queue.claimNext('w', NOW + 999, LEASE, 3)).toBeNull();
    // Its time has come but it has not been woken: the claim's index does not hold it yet.
    expect(await queue.claimNext('w', NOW + 1000, LEASE, 3)).toBeNull();

    expect(await retries().wakeRetries(NOW + 1000)).toEqual([row.id]);
    expect(await nextRetryAt(row.id!)).toBeNull();
    const lease = await queue.claimNext('w', NOW + 1000, LEASE, 3);
    expect(lease?.downloadId).toBe(row.id);
    expect(await retries().wakeRetries(NOW + 5000)).toEqual([]);
  });

  it('takes the due download past thousands of higher-priority retries still waiting', async () => {
    const queue = createQueueRepository(db);
    const waiting = Array.from({ length: 3000 }, () => retrying(NOW + 86_400_000, { priority: 5 }));
    for (let i = 0; i < waiting.length; i += 500)
      await db.db
        .insertInto('downloads')
        .values(waiting.slice(i, i + 500))
        .execute();
    const due = downloadRow({ run_after: NOW - 1 });
    await db.db.insertInto('downloads').values(due).execute();

    expect(await retries().wakeRetries(NOW)).toEqual([]);
    expect((await queue.claimNext('w', NOW, LEASE, 3))?.downloadId).toBe(due.id);
    expect(await queue.claimNext('w', NOW, LEASE, 3)).toBeNull();
    // The sleep until the next due work is the retries' time.
    expect(await queue.nextRunAfter(NOW)).toBe(NOW + 86_400_000);
  });

  it('wakes every due retry in rounds, each once, with two wakers at once, and says so', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => retrying(NOW - i));
    for (let i = 0; i < rows.length; i += 400)
      await db.db
        .insertInto('downloads')
        .values(rows.slice(i, i + 400))
        .execute();
    const notYet = retrying(NOW + 1);
    await db.db.insertInto('downloads').values(notYet).execute();
    const events = createEventLog({ handle: db, pollMs: 0 });
    const wake = () => wakeDueRetries({ handle: db, retries: retries(), events, now: NOW });
    const [x, y] = await Promise.all([wake(), wake()]);
    expect(x + y).toBe(1200);
    const left = await db.db
      .selectFrom('downloads')
      .select('id')
      .where('next_retry_at', 'is not', null)
      .execute();
    expect(left.map((r) => r.id)).toEqual([notYet.id]);
    // Each woken download is named once, in rounds of at most WAKE_ROUND, in `retry_due` events.
    const changed = (await events.read(0))
      .filter((e) => e.type === 'downloads.changed')
      .map((e) => JSON.parse(e.data) as { action: string; ids: string[] });
    expect(changed.every((c) => c.action === 'retry_due' && c.ids.length <= WAKE_ROUND)).toBe(true);
    const named = changed.flatMap((c) => c.ids);
    expect(named.length).toBe(1200);
    expect(new Set(named)).toEqual(new Set(rows.map((r) => r.id)));
    // Nothing to wake: no event written.
    expect(await wake()).toBe(0);
    expect((await events.read(0)).length).toBe(changed.length);
  });

  it('wakes in rounds of WAKE_ROUND, each its own transaction and event', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => retrying(NOW - i));
    for (let i = 0; i < rows.length; i += 400)
      await db.db
        .insertInto('downloads')
        .values(rows.slice(i, i + 400))
        .execute();
    const events = createEventLog({ handle: db, pollMs: 0 });
    expect(await wakeDueRetries({ handle: db, retries: retries(), events, now: NOW })).toBe(1200);
    const sizes = (await events.read(0)).map(
      (e) => (JSON.parse(e.data) as { ids: string[] }).ids.length,
    );
    expect(sizes).toEqual([WAKE_ROUND, WAKE_ROUND, 1200 - 2 * WAKE_ROUND]);
  });

  it('a wake whose event cannot be written wakes nothing', async () => {
    const row = retrying(NOW - 10);
    await db.db.insertInto('downloads').values(row).execute();
    if (dialect === 'postgres') {
      await sql`CREATE FUNCTION no_events() RETURNS trigger AS $$ BEGIN
          RAISE EXCEPTION 'no events today'; END $$ LANGUAGE plpgsql`.execute(db.db);
      await sql`CREATE TRIGGER no_events BEFORE INSERT ON events FOR EACH ROW
        EXECUTE FUNCTION no_events()`.execute(db.db);
    } else {
      await sql`CREATE TRIGGER no_events BEFORE INSERT ON events
        BEGIN SELECT RAISE(ABORT, 'no events today'); END`.execute(db.db);
    }
    const events = createEventLog({ handle: db, pollMs: 0 });
    await expect(
      wakeDueRetries({ handle: db, retries: retries(), events, now: NOW }),
    ).rejects.toThrow(/no events today/);
    // Rolled back with its event: still asleep, so the next round wakes it and says so.
    expect(await nextRetryAt(row.id!)).toBe(NOW - 10);
    expect(await createQueueRepository(db).claimNext('w', NOW, LEASE, 3)).toBeNull();
  });

  it('leaves a retry not woken yet out of the search look-ahead', async () => {
    const prefetch = createPrefetchRepository(db);
    const row = retrying(NOW - 10);
    await db.db.insertInto('downloads').values(row).execute();
    expect(await prefetch.nextDue(NOW, 5)).toEqual([]);
    await retries().wakeRetries(NOW);
    expect((await prefetch.nextDue(NOW, 5)).map((r) => r.id)).toEqual([row.id]);
  });

  it('an album track given its folder file is due at once, its backoff over', async () => {
    const queue = createQueueRepository(db);
    const albums = createAlbumsRepository(db.db);
    const track = retrying(NOW + 3_600_000);
    await db.db.insertInto('downloads').values(track).execute();
    expect(await albums.pinTrack(track.id!, JSON.stringify({ ranked: [] }), NOW)).toBe(true);
    expect(await nextRetryAt(track.id!)).toBeNull();
    expect((await queue.claimNext('w', NOW, LEASE, 3))?.downloadId).toBe(track.id);
  });

  it('a resumed retry is due at once, its backoff over', async () => {
    const queue = createQueueRepository(db);
    const control = createQueueControlRepository(db);
    const row = retrying(NOW + 3_600_000);
    await db.db.insertInto('downloads').values(row).execute();
    await control.hold([row.id!], 'paused', null, NOW);
    expect(await control.release([row.id!], NOW + 10)).toHaveLength(1);
    expect(await nextRetryAt(row.id!)).toBeNull();
    expect((await queue.claimNext('w', NOW + 10, LEASE, 3))?.downloadId).toBe(row.id);
  });

  it('a scheduled retry whose schedule ends is due at once', async () => {
    const queue = createQueueRepository(db);
    const control = createQueueControlRepository(db);
    const row = retrying(NOW + 3_600_000);
    await db.db.insertInto('downloads').values(row).execute();
    await control.hold([row.id!], 'scheduled', NOW + 100, NOW);
    expect(await control.releaseDueSchedules(NOW + 100)).toEqual([row.id]);
    expect((await queue.claimNext('w', NOW + 100, LEASE, 3))?.downloadId).toBe(row.id);
  });

  it('a retry deferred for an unreachable daemon is due at once when the daemon is back', async () => {
    const queue = createQueueRepository(db);
    const row = retrying(NOW + 3_600_000, { error_code: 'slskd_unavailable' });
    await db.db.insertInto('downloads').values(row).execute();
    expect(await createDownloadRepository(db).hurryDeferred(NOW)).toBe(1);
    expect((await queue.claimNext('w', NOW, LEASE, 3))?.downloadId).toBe(row.id);
  });

  it('sleeps until the earliest due-later download of any unfinished status', async () => {
    const queue = createQueueRepository(db);
    expect(await queue.nextRunAfter(NOW)).toBeNull();
    await db.db
      .insertInto('downloads')
      .values([
        // Every row names each column: SQLite's multi-row insert puts NULL in one left out.
        downloadRow({ status: 'completed', run_after: NOW + 10, hold: 'none', source_wait: null }),
        downloadRow({ run_after: NOW + 20, hold: 'paused', source_wait: null }),
        downloadRow({
          status: 'queued',
          run_after: NOW + 30,
          hold: 'none',
          source_wait: 'waiting',
        }),
        downloadRow({ run_after: NOW - 5, hold: 'none', source_wait: null }),
      ])
      .execute();
    expect(await queue.nextRunAfter(NOW)).toBeNull();
    await db.db
      .insertInto('downloads')
      .values([
        downloadRow({ run_after: NOW + 900 }),
        downloadRow({ status: 'processing', run_after: NOW + 400 }),
      ])
      .execute();
    expect(await queue.nextRunAfter(NOW)).toBe(NOW + 400);
  });

  it('knows whether any download is unfinished, whatever its status', async () => {
    const repo = createNotificationsRepository(db.db, dialect);
    await db.db
      .insertInto('downloads')
      .values([downloadRow({ status: 'completed' }), downloadRow({ status: 'cancelled' })])
      .execute();
    expect(await repo.hasUnfinishedDownload()).toBe(false);
    await db.db
      .insertInto('downloads')
      .values(downloadRow({ status: 'processing' }))
      .execute();
    expect(await repo.hasUnfinishedDownload()).toBe(true);
  });
});
