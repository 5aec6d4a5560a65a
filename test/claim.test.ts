import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { createQueueRepository, type Lease } from '../src/queue/queue.repository.js';
import { createSourceWaitRepository } from '../src/queue/source-wait.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

const NOW = 1_800_000_000_000;
const LEASE = 30_000;

/**
 * Claim slots (queue.repository.ts, the rule at the top): live leases never exceed the limit,
 * across separate connection pools (PostgreSQL) or connections (SQLite) as several processes
 * would use them, and every way a lease ends frees its slot.
 */
describe.each(testDialects())('claim slots on %s', (dialect) => {
  let db: TestDb;
  const others: DatabaseHandle[] = [];
  beforeEach(async () => {
    db = await freshDb(dialect);
  });
  afterEach(async () => {
    await Promise.all(others.splice(0).map((h) => h.close()));
    await db.cleanup();
  });

  /**
   * Another handle on the same database, as another process would have: its own pool on
   * PostgreSQL. On SQLite the same handle (SoulSpot on SQLite is one process; a second connection
   * in this process would block the thread in its busy wait while the first holds the lock).
   */
  const openOther = async (): Promise<DatabaseHandle> => {
    if (dialect === 'sqlite') return db;
    const handle = await openDatabase({
      url: process.env.SOULSPOT_TEST_PG_URL as string,
      pgSchema: db.schema!,
      poolSize: 4,
    });
    others.push(handle);
    return handle;
  };
  const insert = async (...rows: ReturnType<typeof downloadRow>[]) => {
    await db.db.insertInto('downloads').values(rows).execute();
  };
  /** Live leases as the database sees them at `at`. */
  const liveAt = async (at: number): Promise<number> => {
    const row = await db.db
      .selectFrom('downloads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('lease_owner', 'is not', null)
      .where('lease_expires_at', '>', at)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const slotOf = async (lease: Lease): Promise<number | undefined> =>
    (
      await db.db
        .selectFrom('queue_slots')
        .select('slot_no')
        .where('download_id', '=', lease.downloadId)
        .where('lease_token', '=', lease.token)
        .executeTakeFirst()
    )?.slot_no;

  it('never exceeds the limit nor claims a row twice with 12 claimers on 3 pools', async () => {
    const MAX = 3;
    const rows = Array.from({ length: 60 }, () => downloadRow());
    await insert(...rows);
    const queues = await Promise.all(
      [0, 1, 2].map(async () => createQueueRepository(await openOther())),
    );
    const claimed: string[] = [];
    let held = 0;
    let mostHeld = 0;
    let mostLive = 0;
    await Promise.all(
      Array.from({ length: 12 }, async (_, w) => {
        const queue = queues[w % queues.length]!;
        while (claimed.length < rows.length) {
          const lease = await queue.claimNext(`w${w}`, NOW, LEASE, MAX);
          if (!lease) {
            // Every slot busy (or the last rows are in other hands): try again in a moment.
            await new Promise((resolve) => setTimeout(resolve, 2));
            continue;
          }
          held++;
          mostHeld = Math.max(mostHeld, held);
          claimed.push(lease.downloadId);
          // Hold the lease a moment, so the claims of the other workers overlap with it.
          await new Promise((resolve) => setTimeout(resolve, 3));
          mostLive = Math.max(mostLive, await liveAt(NOW));
          held--;
          await queue.release(lease, { status: 'completed' });
        }
      }),
    );
    expect(new Set(claimed).size).toBe(rows.length);
    expect(claimed).toHaveLength(rows.length);
    expect(mostHeld).toBeLessThanOrEqual(MAX);
    expect(mostLive).toBeLessThanOrEqual(MAX);
    // The loop did run claims side by side, so the bound was really tested.
    expect(mostLive).toBeGreaterThan(1);
  });

  it('a lowered limit starts nothing until the leases fit, and never uses the slots above it', async () => {
    await insert(...Array.from({ length: 6 }, () => downloadRow()));
    const queue = createQueueRepository(db);
    const leases = [];
    for (let i = 0; i < 3; i++) leases.push((await queue.claimNext('w', NOW, LEASE, 3))!);
    expect(await Promise.all(leases.map(slotOf))).toEqual([0, 1, 2]);

    await queue.release(leases[0]!);
    // Slot 0 is free, but slot 2 (above the new limit of 2) is still held: 2 live already.
    expect(await queue.claimNext('w', NOW, LEASE, 2)).toBeNull();
    await queue.release(leases[2]!);
    const next = (await queue.claimNext('w', NOW, LEASE, 2))!;
    expect(await slotOf(next)).toBe(0);
    expect(await queue.claimNext('w', NOW, LEASE, 2)).toBeNull();
    expect(await liveAt(NOW)).toBe(2);
  });

  it('an expired lease frees its slot, and its old owner cannot renew it back', async () => {
    const first = downloadRow();
    await insert(first);
    const queue = createQueueRepository(db);
    const stale = (await queue.claimNext('old', NOW, LEASE, 1))!;
    await insert(downloadRow({ priority: 5 }));
    expect(await queue.claimNext('new', NOW + 1, LEASE, 1)).toBeNull();

    const later = NOW + LEASE + 1;
    const fresh = (await queue.claimNext('new', later, LEASE, 1))!;
    expect(fresh.downloadId).not.toBe(first.id);
    // The slot went to another download: renewing the lapsed lease would make two with one slot.
    expect(await queue.renew(stale, later + 1, LEASE, 1)).toBe(false);
    expect(await queue.confirm(stale, later + 1, LEASE)).toBe(false);
    expect(await liveAt(later + 1)).toBe(1);
    expect(await queue.renew(fresh, later + 1, LEASE, 1)).toBe(true);
  });

  it('an expired lease whose slot nobody took may still be renewed, and then holds it', async () => {
    await insert(downloadRow(), downloadRow());
    const queue = createQueueRepository(db);
    const lease = (await queue.claimNext('w', NOW, LEASE, 1))!;
    const later = NOW + LEASE + 1;
    expect(await queue.renew(lease, later, LEASE, 1)).toBe(true);
    expect(await queue.claimNext('other', later + 1, LEASE, 1)).toBeNull();
  });

  it('a lapsed lease in a slot at or above a lowered limit cannot be renewed after a claim', async () => {
    await insert(downloadRow(), downloadRow());
    const queue = createQueueRepository(db);
    const a = (await queue.claimNext('p1', NOW, LEASE, 2))!;
    const b = (await queue.claimNext('p2', NOW, LEASE, 2))!;
    expect(await slotOf(b)).toBe(1);
    // The limit is lowered to 1, a ends, and b's process stalls past its lease.
    await queue.release(a, { status: 'completed' });
    await insert(downloadRow({ priority: 9 }));
    const later = NOW + LEASE + 1;
    const c = (await queue.claimNext('p1', later, LEASE, 1))!;
    expect(c.downloadId).not.toBe(b.downloadId);
    // No claim ever takes slot 1 now, so only the renewal can tell b it counted as gone.
    expect(await queue.renew(b, later + 1000, LEASE, 1)).toBe(false);
    expect(await liveAt(later + 1000)).toBe(1);
    // A live lease above the limit is still renewed (it blocks claims until it ends).
    expect(await queue.renew(c, later + 1000, LEASE, 1)).toBe(true);
  });

  it('a failed renewal leaves the slot as it was', async () => {
    const row = downloadRow();
    await insert(row);
    const queue = createQueueRepository(db);
    const lease = (await queue.claimNext('w', NOW, LEASE, 1))!;
    const slotExpiry = async () =>
      Number(
        (
          await db.db
            .selectFrom('queue_slots')
            .select('expires_at')
            .where('download_id', '=', row.id)
            .executeTakeFirstOrThrow()
        ).expires_at,
      );
    // Deleted from the API: its slot counts as held until its own expiry, which must not move.
    await db.db.deleteFrom('downloads').where('id', '=', row.id).execute();
    expect(await queue.renew(lease, NOW + 1000, LEASE, 1)).toBe(false);
    expect(await queue.confirm(lease, NOW + 1000, LEASE)).toBe(false);
    expect(await slotExpiry()).toBe(NOW + LEASE);
    // Nor does a renewal quoting another owner.
    expect(await queue.renew({ ...lease, owner: 'x' }, NOW + 2000, LEASE, 1)).toBe(false);
    expect(await slotExpiry()).toBe(NOW + LEASE);
  });

  it('a lowered limit empties the free slots above it, and the held ones once they end', async () => {
    await insert(...Array.from({ length: 8 }, () => downloadRow()));
    const queue = createQueueRepository(db);
    const leases = [];
    for (let i = 0; i < 5; i++) leases.push((await queue.claimNext('w', NOW, LEASE, 5))!);
    const named = async () =>
      (
        await db.db
          .selectFrom('queue_slots')
          .select('slot_no')
          .where('download_id', 'is not', null)
          .orderBy('slot_no')
          .execute()
      ).map((r) => r.slot_no);
    expect(await named()).toEqual([0, 1, 2, 3, 4]);
    await queue.release(leases[0]!);
    await queue.release(leases[3]!);
    // Limit 2: slot 3 is free and emptied; slots 2 and 4 are held, so nothing starts.
    expect(await queue.claimNext('w', NOW, LEASE, 2)).toBeNull();
    expect(await named()).toEqual([0, 1, 2, 4]);
    await queue.release(leases[2]!);
    await queue.release(leases[4]!);
    const next = (await queue.claimNext('w', NOW, LEASE, 2))!;
    expect(await slotOf(next)).toBe(0);
    expect(await named()).toEqual([0, 1]);
    // Another process still on the old limit is not harmed: its claim finds slots 2… empty, free.
    const other = (await createQueueRepository(db).claimNext('v', NOW, LEASE, 5))!;
    expect(await slotOf(other)).toBe(2);
  });

  it('a renewal racing a claim for a lapsed slot: exactly one of them wins', async () => {
    const queue = createQueueRepository(db);
    const [a, b] = await Promise.all([openOther(), openOther()]);
    const renewer = createQueueRepository(a);
    const claimer = createQueueRepository(b);
    for (let i = 0; i < 15; i++) {
      const base = NOW + i * 10 * LEASE;
      const mine = downloadRow({ created_at: base - 1 });
      await insert(mine);
      const lease = (await queue.claimNext('old', base, LEASE, 1))!;
      expect(lease.downloadId).toBe(mine.id);
      await insert(downloadRow({ priority: 9 }));
      const at = base + LEASE + 1;
      const [renewed, claimed] = await Promise.all([
        renewer.renew(lease, at, LEASE, 1),
        claimer.claimNext('new', at, LEASE, 1),
      ]);
      expect(renewed !== (claimed !== null)).toBe(true);
      expect(await liveAt(at)).toBe(1);
      // Finish this round's leases so the next round starts with a free slot.
      await db.db
        .updateTable('downloads')
        .set({ status: 'completed', lease_owner: null, lease_expires_at: null })
        .execute();
    }
  });

  it('release, cancel from the API, parking and the start-up release each free the slot', async () => {
    await insert(...Array.from({ length: 6 }, () => downloadRow()));
    const queue = createQueueRepository(db);
    const downloads = createDownloadRepository(db);
    const sourceWait = createSourceWaitRepository(db);

    const released = (await queue.claimNext('w', NOW, LEASE, 1))!;
    expect(await queue.claimNext('w', NOW, LEASE, 1)).toBeNull();
    await queue.release(released, { status: 'completed' });

    const cancelled = (await queue.claimNext('w', NOW, LEASE, 1))!;
    expect(await queue.claimNext('w', NOW, LEASE, 1)).toBeNull();
    await downloads.commandUpdate(cancelled.downloadId, ['waiting'], { status: 'cancelled' });

    const parked = (await queue.claimNext('w', NOW, LEASE, 1))!;
    await queue.fencedUpdate(parked, { status: 'queued' });
    expect(await sourceWait.park(parked, NOW, 10, { updated_at: NOW })).toMatchObject({
      row: { id: parked.downloadId, source_wait: 'waiting', lease_owner: null },
    });

    const crashed = (await queue.claimNext('w', NOW, LEASE, 1))!;
    expect(await queue.claimNext('other', NOW, LEASE, 1)).toBeNull();
    await queue.releaseOwner('w');

    expect(await queue.claimNext('other', NOW, LEASE, 1)).not.toBeNull();
    expect(crashed.downloadId).not.toBe(parked.downloadId);
    expect(await liveAt(NOW)).toBe(1);
  });
});
