import { sql } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import { filingBacklogCount } from '../queue/filing-backlog.js';
import { DUE_NOW } from '../queue/retry-wake.repository.js';
import { ACTIVE_STATUSES, statusesFor } from './download.js';
import type { Placed } from './queue-order.js';
import { textMatches } from './download.repository.js';

/**
 * SQL for commands over many downloads (order, holds, batches). One operation per function; each
 * takes at most CHUNK ids, so a batch of 10,000 is 20 short statements, never one that exceeds
 * SQLite's parameter limit or holds the write lock for long. Commands bump the fencing token of
 * every row they change, so a worker that held one stops (its next write fails).
 */
export const CHUNK = 500;

export type Hold = 'none' | 'paused' | 'scheduled';

/** The state machine's own answer to "from where can a download be cancelled / retried". */
const CANCELLABLE = statusesFor('cancel', 'cancelled');
const RETRYABLE = statusesFor('retry', 'waiting');
/** A transfer in flight at the daemon: what a pause or a cancel must stop. */
const IN_FLIGHT = ['pending', 'enqueued'];

/**
 * What a command that takes downloads from their workers sets besides its own fields: the lease
 * goes (the fencing token moves on, so a worker's next write fails), and a download parked at its
 * source stops counting as parked (its transfer is being stopped; the source watch lets it go).
 */
const revoke = {
  lease_owner: null,
  lease_expires_at: null,
  lease_token: sql<number>`lease_token + 1`,
  source_wait: null,
  source_wait_since: null,
};

export function createQueueControlRepository(handle: DatabaseHandle) {
  const { db } = handle;

  return {
    /** Order facts of these downloads (missing ids are simply absent). */
    placed(ids: string[], tx: Db = db): Promise<(Placed & { status: string })[]> {
      if (ids.length === 0) return Promise.resolve([]);
      return tx
        .selectFrom('downloads')
        .select(['id', 'priority', 'position', 'status'])
        .where('id', 'in', ids)
        .execute();
    },

    /** Waiting downloads in run order from `offset`: the head of the queue, or the n-th place. */
    head(limit: number, offset = 0, tx: Db = db): Promise<Placed[]> {
      return tx
        .selectFrom('downloads')
        .select(['id', 'priority', 'position'])
        .where('status', '=', 'waiting')
        .orderBy('priority', 'desc')
        .orderBy('position', 'asc')
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit)
        .offset(offset)
        .execute();
    },

    /** The last `limit` waiting downloads in run order, the last first: the end of the queue. */
    tail(limit: number, tx: Db = db): Promise<Placed[]> {
      return tx
        .selectFrom('downloads')
        .select(['id', 'priority', 'position'])
        .where('status', '=', 'waiting')
        .orderBy('priority', 'asc')
        .orderBy('position', 'desc')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },

    /** Waiting downloads of `target`'s priority right before/after it, nearest first. */
    neighbours(target: Placed, side: 'before' | 'after', limit: number, tx: Db = db) {
      return tx
        .selectFrom('downloads')
        .select(['id', 'priority', 'position'])
        .where('status', '=', 'waiting')
        .where('priority', '=', target.priority)
        .where('position', side === 'before' ? '<' : '>', target.position)
        .orderBy('position', side === 'before' ? 'desc' : 'asc')
        .limit(limit)
        .execute();
    },

    /** New priority and position of one moved download (a move writes only the moved rows). */
    async move(m: Placed, now: number, tx: Db = db): Promise<void> {
      await tx
        .updateTable('downloads')
        .set({ priority: m.priority, position: m.position, updated_at: now })
        .where('id', '=', m.id)
        .execute();
    },

    setPriority(ids: string[], priority: number, now: number, tx: Db = db) {
      return tx
        .updateTable('downloads')
        .set({ priority, updated_at: now })
        .where('id', 'in', ids)
        .returning('id')
        .execute();
    },

    /** Holds unfinished downloads (pause, or schedule until `scheduledAt`); their workers stop. */
    hold(
      ids: string[],
      hold: 'paused' | 'scheduled',
      scheduledAt: number | null,
      now: number,
      tx: Db = db,
    ) {
      return tx
        .updateTable('downloads')
        .set({ ...revoke, hold, scheduled_at: scheduledAt, updated_at: now })
        .where('id', 'in', ids)
        .where('status', 'in', ACTIVE_STATUSES)
        .returning(['id', 'status', 'current_attempt_id'])
        .execute();
    },

    /** Ends the hold of these downloads; they are due at once, a retry's backoff too. */
    release(ids: string[], now: number, tx: Db = db) {
      return tx
        .updateTable('downloads')
        .set({ hold: 'none', scheduled_at: null, ...DUE_NOW(now), updated_at: now })
        .where('id', 'in', ids)
        .where('hold', '!=', 'none')
        .where('status', 'in', ACTIVE_STATUSES)
        .returning('id')
        .execute();
    },

    /** Scheduled downloads whose time has come become ordinary queued ones. */
    async releaseDueSchedules(now: number, tx: Db = db): Promise<string[]> {
      const rows = await tx
        .updateTable('downloads')
        .set({ hold: 'none', scheduled_at: null, ...DUE_NOW(now), updated_at: now })
        .where('hold', '=', 'scheduled')
        .where('scheduled_at', '<=', now)
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    },

    /** The next time a schedule ends (the scheduler sleeps until then). */
    async nextScheduledAt(): Promise<number | null> {
      const row = await db
        .selectFrom('downloads')
        .select((eb) => eb.fn.min<number>('scheduled_at').as('t'))
        .where('hold', '=', 'scheduled')
        .executeTakeFirst();
      return row?.t === null || row?.t === undefined ? null : Number(row.t);
    },

    /** Cancels unfinished downloads (the single cancel's write, for many). */
    cancel(ids: string[], now: number, tx: Db = db) {
      return tx
        .updateTable('downloads')
        .set({
          ...revoke,
          status: 'cancelled',
          error_code: 'cancelled',
          error_message: 'Cancelled by the user',
          queue_position: null,
          next_retry_at: null,
          updated_at: now,
        })
        .where('id', 'in', ids)
        .where('status', 'in', CANCELLABLE)
        .returning(['id', 'current_attempt_id'])
        .execute();
    },

    /**
     * Closes attempts whose transfer is in flight; the orphan sweep then cancels those transfers at
     * slskd (at once, or when slskd is reachable again), since no download follows them any more.
     */
    async closeInFlight(attemptIds: string[], message: string, now: number, tx: Db = db) {
      if (attemptIds.length === 0) return 0;
      const result = await tx
        .updateTable('attempts')
        .set({
          state: 'cancelled',
          error_code: 'cancelled',
          error_message: message,
          updated_at: now,
          finished_at: now,
        })
        .where('id', 'in', attemptIds)
        .where('state', 'in', IN_FLIGHT)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /** The dedupe keys of these downloads (a batch retry keeps one per track). */
    keys(ids: string[], tx: Db = db) {
      return tx
        .selectFrom('downloads')
        .select(['id', 'dedupe_key'])
        .where('id', 'in', ids)
        .execute();
    },

    /**
     * Starts finished downloads again from a fresh search, unless another download of the same
     * track is active (the partial unique index would refuse it; checked here so one duplicate does
     * not abort the whole chunk). The caller passes at most one id per dedupe key, and none when
     * no id of the chunk exists: `IN ()` is a syntax error on PostgreSQL (a 500 before this guard).
     */
    retry(ids: string[], now: number, tx: Db = db) {
      if (ids.length === 0) return Promise.resolve([]);
      return tx
        .updateTable('downloads')
        .set({
          ...revoke,
          status: 'waiting',
          retry_count: 0,
          next_retry_at: null,
          run_after: now,
          error_code: null,
          error_message: null,
          search_id: null,
          query_index: 0,
          search_provider: null,
          // An album track begins with its folder file again (migration 022); others search.
          candidates: sql<string | null>`pinned_candidates`,
          current_attempt_id: null,
          progress: 0,
          bytes_transferred: 0,
          updated_at: now,
        })
        .where('id', 'in', ids)
        .where('status', 'in', RETRYABLE)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('downloads as other')
                .select('other.id')
                .whereRef('other.dedupe_key', '=', 'downloads.dedupe_key')
                .where('other.status', 'in', ACTIVE_STATUSES),
            ),
          ),
        )
        .returning('id')
        .execute();
    },

    /** Earlier attempts stop counting as tried (a retried download may use those sources again). */
    async retireAttempts(downloadIds: string[], tx: Db = db): Promise<void> {
      await tx
        .updateTable('attempts')
        .set({ round: -1 })
        .where('download_id', 'in', downloadIds)
        .execute();
    },

    /** Deletes finished downloads (history); their attempts go with them (ON DELETE CASCADE). */
    remove(ids: string[], statuses: readonly string[], tx: Db = db) {
      return tx
        .deleteFrom('downloads')
        .where('id', 'in', ids)
        .where('status', 'in', statuses)
        .returning('id')
        .execute();
    },

    /** Which of these ids exist, with status and hold (to explain what a batch skipped). */
    existing(ids: string[], tx: Db = db) {
      if (ids.length === 0) return Promise.resolve([]);
      return tx
        .selectFrom('downloads')
        .select(['id', 'status', 'hold'])
        .where('id', 'in', ids)
        .execute();
    },

    /**
     * Unheld downloads a global pause stops: searching, or with a transfer at the daemon. Filing
     * (`processing`) is left to finish.
     */
    stoppable(tx: Db = db) {
      return tx
        .selectFrom('downloads')
        .select(['id', 'status', 'current_attempt_id'])
        .where('status', 'in', ['searching', 'queued', 'downloading'])
        .where('hold', '=', 'none')
        .execute();
    },

    /** Takes these downloads from their workers without changing anything else. */
    async revoke(ids: string[], now: number, tx: Db = db): Promise<void> {
      await tx
        .updateTable('downloads')
        .set({ ...revoke, run_after: now })
        .where('id', 'in', ids)
        .execute();
    },

    /** Ids matching a batch filter, in id order after `after` (keyset pages). */
    matching(filter: BatchFilterQuery, after: string | null, limit: number) {
      let q = db.selectFrom('downloads').select('id');
      const statuses = filter.statuses ?? [];
      const holds = filter.holds ?? [];
      if (statuses.length > 0 || holds.length > 0) {
        q = q.where((eb) =>
          eb.or([
            ...(statuses.length > 0
              ? [eb.and([eb('status', 'in', statuses), eb('hold', '=', 'none')])]
              : []),
            ...(holds.length > 0
              ? [eb.and([eb('hold', 'in', holds), eb('status', 'in', ACTIVE_STATUSES)])]
              : []),
            // A finished download shows its status whatever hold it had.
            ...(statuses.length > 0
              ? [eb.and([eb('status', 'in', statuses), eb('status', 'not in', ACTIVE_STATUSES)])]
              : []),
          ]),
        );
      }
      if (filter.text) q = q.where(textMatches(filter.text, handle.dialect));
      if (filter.createdBefore !== undefined) q = q.where('created_at', '<', filter.createdBefore);
      if (filter.createdAfter !== undefined) q = q.where('created_at', '>', filter.createdAfter);
      if (after !== null) q = q.where('id', '>', after);
      return q.orderBy('id').limit(limit).execute();
    },

    /** Counts by status and hold for the queue overview (one grouped read over the status index). */
    countsByStatusAndHold() {
      return db
        .selectFrom('downloads')
        .select(['status', 'hold', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['status', 'hold'])
        .execute();
    },

    /**
     * Live leases, downloads being worked on right now in every process, by slot pool: `filing`
     * the `processing` ones (a filing slot each), `working` the rest (a transfer slot each). A
     * handful of rows (`downloads_live_lease`), so they are counted here rather than in SQL.
     */
    async liveLeases(now: number): Promise<{ working: number; filing: number }> {
      const rows = await db
        .selectFrom('downloads')
        .select('status')
        .where('lease_expires_at', 'is not', null)
        .where('lease_expires_at', '>', now)
        .execute();
      const filing = rows.filter((r) => r.status === 'processing').length;
      return { working: rows.length - filing, filing };
    },

    /** Downloads waiting for a filing slot now, all processes (the rule: `filingBacklogCount`). */
    async filingBacklog(now: number): Promise<number> {
      const { rows } = await sql<{
        n: number | string;
      }>`SELECT ${filingBacklogCount(now, handle.dialect)} AS n`.execute(db);
      return Number(rows[0]?.n ?? 0);
    },

    /** The next automatic retry among unfinished, unheld downloads. */
    async nextRetryAt(now: number): Promise<number | null> {
      const row = await db
        .selectFrom('downloads')
        .select((eb) => eb.fn.min<number>('next_retry_at').as('t'))
        .where('status', 'in', ACTIVE_STATUSES)
        .where('hold', '=', 'none')
        .where('next_retry_at', '>', now)
        .executeTakeFirst();
      return row?.t === null || row?.t === undefined ? null : Number(row.t);
    },
  };
}

export interface BatchFilterQuery {
  statuses?: string[];
  holds?: string[];
  text?: string;
  createdBefore?: number;
  createdAfter?: number;
}

export type QueueControlRepository = ReturnType<typeof createQueueControlRepository>;
