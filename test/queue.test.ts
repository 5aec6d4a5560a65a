import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { createQueueRepository, LeaseLostError } from '../src/queue/queue.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

const NOW = 1_800_000_000_000;
const LEASE = 30_000;

describe.each(testDialects())('queue claims and fencing on %s', (dialect) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(dialect);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const insert = async (...rows: ReturnType<typeof downloadRow>[]) => {
    await db.db.insertInto('downloads').values(rows).execute();
  };

  it('claims the highest priority first, then the oldest, and only due work', async () => {
    const low = downloadRow({ priority: 0, created_at: 1 });
    const highNew = downloadRow({ priority: 5, created_at: 3 });
    const highOld = downloadRow({ priority: 5, created_at: 2 });
    const later = downloadRow({ priority: 9, run_after: NOW + 60_000 });
    const done = downloadRow({ priority: 9, status: 'completed' });
    await insert(low, highNew, highOld, later, done);
    const queue = createQueueRepository(db);
    const order = [];
    for (;;) {
      const lease = await queue.claimNext('w1', NOW, LEASE, 100);
      if (!lease) break;
      order.push(lease.downloadId);
    }
    expect(order).toEqual([highOld.id, highNew.id, low.id]);
  });

  it('never holds more live leases than the concurrency limit', async () => {
    await insert(...Array.from({ length: 5 }, () => downloadRow()));
    const queue = createQueueRepository(db);
    expect(await queue.claimNext('w1', NOW, LEASE, 2)).not.toBeNull();
    expect(await queue.claimNext('w2', NOW, LEASE, 2)).not.toBeNull();
    expect(await queue.claimNext('w1', NOW, LEASE, 2)).toBeNull();
    // Once the leases lapse, the slots are free again.
    expect(await queue.claimNext('w3', NOW + LEASE + 1, LEASE, 2)).not.toBeNull();
  });

  it('fences a stale worker out once another has taken the lapsed lease', async () => {
    const row = downloadRow();
    await insert(row);
    const queue = createQueueRepository(db);
    const stale = await queue.claimNext('old', NOW, LEASE, 10);
    expect(stale).not.toBeNull();
    const fresh = await queue.claimNext('new', NOW + LEASE + 1, LEASE, 10);
    expect(fresh?.downloadId).toBe(row.id);
    expect(fresh!.token).toBe(stale!.token + 1);

    await expect(queue.fencedUpdate(stale!, { status: 'failed' })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
    expect(await queue.renew(stale!, NOW + LEASE + 2, LEASE, 10)).toBe(false);
    await queue.fencedUpdate(fresh!, { status: 'searching' });
    const after = await db.db
      .selectFrom('downloads')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('searching');
    expect(after.lease_owner).toBe('new');
  });

  it('a command from outside (cancel) fences the worker out', async () => {
    const row = downloadRow();
    await insert(row);
    const queue = createQueueRepository(db);
    const repo = createDownloadRepository(db);
    const lease = await queue.claimNext('w', NOW, LEASE, 10);
    const cancelled = await repo.commandUpdate(row.id, ['waiting'], { status: 'cancelled' });
    expect(cancelled?.status).toBe('cancelled');
    await expect(queue.fencedUpdate(lease!, { status: 'queued' })).rejects.toBeInstanceOf(
      LeaseLostError,
    );
  });

  it('frees its own leases from an earlier run at start-up', async () => {
    await insert(downloadRow(), downloadRow());
    const queue = createQueueRepository(db);
    await queue.claimNext('me', NOW, LEASE, 10);
    await queue.claimNext('other', NOW, LEASE, 10);
    expect(await queue.releaseOwner('me')).toBe(1);
    expect(await queue.claimNext('me', NOW, LEASE, 10)).not.toBeNull();
  });

  it('hands each download to exactly one of many concurrent claimers', async () => {
    const rows = Array.from({ length: 120 }, () => downloadRow());
    await insert(...rows);
    const queue = createQueueRepository(db);
    const claimed: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (;;) {
          const lease = await queue.claimNext(`w${w}`, NOW, LEASE, 1000);
          if (!lease) return;
          claimed.push(lease.downloadId);
        }
      }),
    );
    expect(claimed).toHaveLength(rows.length);
    expect(new Set(claimed).size).toBe(rows.length);
  });

  it('keeps one active download per track, even under concurrent requests', async () => {
    const repo = createDownloadRepository(db);
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        repo.insertUnlessActive(downloadRow({ artist: 'Same', title: 'Song' })),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.row.id)).size).toBe(1);
    // Once finished, the track may be requested again.
    await db.db.updateTable('downloads').set({ status: 'completed' }).execute();
    const again = await repo.insertUnlessActive(downloadRow({ artist: 'Same', title: 'Song' }));
    expect(again.created).toBe(true);
  });
});
