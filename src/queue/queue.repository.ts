import { sql, type ExpressionBuilder, type Updateable } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import type { Database, DownloadsTable } from '../db/schema.js';
import { ACTIVE_STATUSES } from '../downloads/download.js';

/**
 * The queue's SQL, one operation per function. A claim takes a lease (owner + expiry) and bumps the
 * fencing token; every later write by that worker quotes owner AND token, so a worker whose lease
 * lapsed (paused, partitioned, killed and replaced) can never overwrite a newer attempt's state.
 */

export interface Lease {
  downloadId: string;
  owner: string;
  token: number;
}

export class LeaseLostError extends Error {
  constructor(readonly downloadId: string) {
    super(`Lease on download ${downloadId} was lost`);
    this.name = 'LeaseLostError';
  }
}

/** A constant key for PostgreSQL's advisory lock that serializes claims across processes. */
const CLAIM_LOCK_KEY = 0x50f7_5907;

export function createQueueRepository(handle: DatabaseHandle) {
  const { db, dialect } = handle;

  return {
    /**
     * Claims the next download to work on, if fewer than `maxConcurrent` downloads hold a live
     * lease (parked downloads hold none). A parked download whose transfer moved, ended or stalled
     * (`source_wait = 'ready'`) comes first: its peer started uploading and cannot be told to wait.
     * Otherwise the next due download that is neither held nor parked, highest priority first, then
     * by queue position, then oldest. Returns null when nothing may run now.
     */
    async claimNext(
      owner: string,
      now: number,
      leaseMs: number,
      maxConcurrent: number,
    ): Promise<Lease | null> {
      return handle.writeTx(async (tx) => {
        if (dialect === 'postgres') {
          // Counting live leases and claiming must be one step across processes.
          await sql`SELECT pg_advisory_xact_lock(${CLAIM_LOCK_KEY})`.execute(tx);
        }
        // downloads_live_lease: only rows with a lease, so this reads a handful of index entries.
        const live = await tx
          .selectFrom('downloads')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('lease_expires_at', '>', now)
          .executeTakeFirstOrThrow();
        if (Number(live.n) >= maxConcurrent) return null;

        const unleased = (eb: ExpressionBuilder<Database, 'downloads'>) =>
          eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]);
        let ready = tx
          .selectFrom('downloads')
          .select('id')
          .where('source_wait', '=', 'ready')
          .where('status', 'in', ACTIVE_STATUSES)
          .where('hold', '=', 'none')
          .where(unleased)
          .orderBy('priority', 'desc')
          .orderBy('position', 'asc')
          .limit(1);
        if (dialect === 'postgres') ready = ready.forUpdate().skipLocked();
        let row = await ready.executeTakeFirst();

        if (!row) {
          let pick = tx
            .selectFrom('downloads')
            .select('id')
            .where('status', 'in', ACTIVE_STATUSES)
            .where('hold', '=', 'none')
            .where('run_after', '<=', now)
            .where('source_wait', 'is', null)
            .where(unleased)
            .orderBy('priority', 'desc')
            .orderBy('position', 'asc')
            .orderBy('created_at', 'asc')
            .orderBy('id', 'asc')
            .limit(1);
          if (dialect === 'postgres') pick = pick.forUpdate().skipLocked();
          row = await pick.executeTakeFirst();
        }
        if (!row) return null;

        const claimed = await tx
          .updateTable('downloads')
          .set((eb) => ({
            lease_owner: owner,
            lease_expires_at: now + leaseMs,
            lease_token: eb('lease_token', '+', 1),
            // No longer parked: from here a worker follows its transfer (and holds a slot).
            source_wait: null,
          }))
          .where('id', '=', row.id)
          .returning(['id', 'lease_token'])
          .executeTakeFirstOrThrow();
        return { downloadId: claimed.id, owner, token: claimed.lease_token };
      });
    },

    /** Extends a lease; false when it was taken over or the download was cancelled meanwhile. */
    async renew(lease: Lease, now: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('downloads')
        .set({ lease_expires_at: now + leaseMs })
        .where('id', '=', lease.downloadId)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Before a side effect outside the database (a call to the daemon), which no fencing token can
     * take back: true only if the lease is ours AND still valid, and then it is extended, so no other
     * process can claim the download while the call goes out. An expired lease does not count even
     * if nobody has claimed it yet: a worker resumed after a pause must not act on stale timers.
     */
    async confirm(lease: Lease, now: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('downloads')
        .set({ lease_expires_at: now + leaseMs })
        .where('id', '=', lease.downloadId)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .where('lease_expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** A state write fenced by the lease: throws LeaseLostError when the lease is no longer ours. */
    async fencedUpdate(lease: Lease, patch: Updateable<DownloadsTable>, tx = db): Promise<void> {
      const result = await tx
        .updateTable('downloads')
        .set(patch)
        .where('id', '=', lease.downloadId)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(lease.downloadId);
    },

    /** Gives the download back to the queue (optionally with a last fenced write). */
    async release(lease: Lease, patch: Updateable<DownloadsTable> = {}, tx = db): Promise<void> {
      await this.fencedUpdate(lease, { ...patch, lease_owner: null, lease_expires_at: null }, tx);
    },

    /**
     * At start-up: this instance's leases from an earlier run are dead (the same instance cannot run
     * twice on one data dir), so they are freed at once instead of waiting for them to expire.
     */
    async releaseOwner(owner: string): Promise<number> {
      const result = await db
        .updateTable('downloads')
        .set({ lease_owner: null, lease_expires_at: null })
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** The earliest run_after among due-later downloads, to sleep exactly until then. */
    async nextRunAfter(now: number): Promise<number | null> {
      const row = await db
        .selectFrom('downloads')
        .select((eb) => eb.fn.min<number>('run_after').as('t'))
        .where('status', 'in', ACTIVE_STATUSES)
        .where('hold', '=', 'none')
        .where('source_wait', 'is', null)
        .where('run_after', '>', now)
        .executeTakeFirst();
      return row?.t === null || row?.t === undefined ? null : Number(row.t);
    },
  };
}

export type QueueRepository = ReturnType<typeof createQueueRepository>;
