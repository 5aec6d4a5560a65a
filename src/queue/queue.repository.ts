import { sql, type RawBuilder, type Selectable, type Updateable } from 'kysely';
import type { DatabaseHandle, Dialect } from '../db/database.js';
import type { DownloadsTable } from '../db/schema.js';
import { ACTIVE_STATUSES, FILING_STATUSES, TRANSFER_STATUSES } from '../downloads/download.js';
import { backlogGate } from './filing-backlog.js';

/**
 * The queue's SQL, one operation per function. A claim takes a lease (owner + expiry) and bumps the
 * fencing token; every later write by that worker quotes owner AND token, so a worker whose lease
 * lapsed (paused, partitioned, killed and replaced) can never overwrite a newer attempt's state.
 *
 * Slots (migration 009) bound the live leases without a global lock. The rule, stated once:
 *
 *   A slot row is HELD while it names a lease (download id + token) whose download still carries
 *   that token with an owner, and its own `expires_at` has not passed; otherwise it is FREE.
 *   Every live lease holds exactly one slot: a claim writes lease and slot together, and a lease's
 *   expiry is extended only through its slot (renew/confirm write the slot row first, and only
 *   while the download row still names the lease, then the download row). A claim takes a slot
 *   below `maxConcurrent`, and only while no slot at or above it is held. A lease whose expiry
 *   has passed (its slot FREE) may be renewed only in a slot below the limit: there a claim that
 *   counted it free has taken it (it then names the new lease); at or above the limit no claim
 *   ever takes it, so a renewal there would bring back a lease the claim did not count.
 *
 * So live leases never exceed the slots held, and after a claim at limit L no slot at or above L
 * is held again until the limit is raised (a lowered limit starts no work until the leases fit
 * under it, as a count would). Why it is exact across processes on PostgreSQL: a claim locks
 * the slot row (FOR UPDATE SKIP LOCKED), and PostgreSQL re-checks the newest version of a row it
 * locks, so a renewal that committed meanwhile keeps its slot (`expires_at` moved on), and a slot
 * another claim has just rewritten is seen as held (`slotFree`: a snapshot older than that claim
 * sees the smaller token); a renewal waiting on a slot a claim has locked re-reads it after that
 * claim commits and finds it no longer names its lease. Everything that ends a lease (release,
 * park, cancel, retry, pause, the start-up release) just clears its owner or bumps its token on
 * the download row, as before: the slot frees itself, so none of those writes touch this table.
 * Not exact, as with any count: two processes reading different limits for the second a changed
 * setting takes to reach both (a renewal checks the limit its own process read); and a lease
 * above a lowered limit renewed at the instant it lapses by the claim's clock but not yet by the
 * renewer's (the claim reads the slots above the limit unlocked), the skew any lease has.
 *
 * SQLite has the same tables and rule; its claim is the same steps in one BEGIN IMMEDIATE
 * transaction (one writer at a time anyway).
 *
 * Two pools, each its own slot table under this same rule (migration 020): the transfer pool
 * (`queue_slots`, limit `maxConcurrent`) claims downloads searching or with a transfer to start or
 * follow; the filing pool (`filing_slots`, limit `maxConcurrentFiling`) claims `processing` ones,
 * whose bytes are in. A download is in one pool by its status, so a lease is in one slot table;
 * the write that records a transfer done gives the transfer lease back in the same commit, and
 * filing is a claim of its own.
 */

/** Which slot table a lease holds a slot of (migration 020). */
export type SlotPool = 'transfer' | 'filing';

/** Per pool: its slot table, the statuses it claims, and the claim-order index over them. */
const POOLS: Record<SlotPool, { table: string; statuses: readonly string[]; index: string }> = {
  transfer: { table: 'queue_slots', statuses: TRANSFER_STATUSES, index: 'downloads_queue' },
  filing: { table: 'filing_slots', statuses: FILING_STATUSES, index: 'downloads_filing' },
};

export const SLOT_POOLS = Object.keys(POOLS) as SlotPool[];

/**
 * `status` in the pool's statuses, written as the partial index's WHERE writes it (SQLite uses a
 * partial index only for a query whose WHERE has the same term): `=` for one status, else `IN`.
 */
function poolStatus(pool: SlotPool): RawBuilder<unknown> {
  const statuses = POOLS[pool].statuses;
  return statuses.length === 1
    ? sql`status = ${sql.lit(statuses[0])}`
    : sql`status IN (${sql.join(statuses.map((st) => sql.lit(st)))})`;
}

export interface Lease {
  downloadId: string;
  owner: string;
  token: number;
  /** The pool whose slot it holds: renew and confirm extend it there. */
  pool: SlotPool;
}

export class LeaseLostError extends Error {
  constructor(readonly downloadId: string) {
    super(`Lease on download ${downloadId} was lost`);
    this.name = 'LeaseLostError';
  }
}

/**
 * The rule above, for the slot row aliased `s`; never NULL. "No longer carries that lease" is
 * read as: the download's token has passed the slot's, or equals it with no owner. Tokens only
 * grow and every claim bumps one, so a snapshot older than the claim that wrote the slot sees a
 * smaller token and the slot as held: when PostgreSQL re-checks a locked slot row that a claim
 * has just rewritten, the other claim's older snapshot cannot take that new lease for a dead one.
 * (A slot whose download was deleted counts as held until its `expires_at`.)
 */
function slotFree(s: string, now: number): RawBuilder<boolean> {
  const a = sql.raw(s);
  return sql<boolean>`(${a}.expires_at IS NULL OR ${a}.expires_at <= ${now} OR EXISTS (
    SELECT 1 FROM downloads held WHERE held.id = ${a}.download_id
      AND (held.lease_token > ${a}.lease_token
        OR (held.lease_token = ${a}.lease_token AND held.lease_owner IS NULL))))`;
}

/**
 * A free slot below the limit, if no slot at or above it is held; lowest number first. Only slots
 * that name a lease can be held, so the look above the limit reads the partial index
 * `queue_slots_named` (a limit once high left many slot rows; a lowered one clears those above it).
 */
function freeSlot(
  pool: SlotPool,
  now: number,
  maxConcurrent: number,
  lock: boolean,
): RawBuilder<unknown> {
  const slots = sql.table(POOLS[pool].table);
  return sql`SELECT s.slot_no FROM ${slots} s
    WHERE s.slot_no < ${maxConcurrent} AND ${slotFree('s', now)}
      AND NOT EXISTS (SELECT 1 FROM ${slots} hi
        WHERE hi.slot_no >= ${maxConcurrent} AND hi.download_id IS NOT NULL
          AND NOT ${slotFree('hi', now)})
    ORDER BY s.slot_no LIMIT 1 ${lock ? sql`FOR UPDATE OF s SKIP LOCKED` : sql``}`;
}

const UNLEASED = (now: number) => sql`(lease_expires_at IS NULL OR lease_expires_at <= ${now})`;

/**
 * A parked download whose transfer moved, ended or stalled (`source_wait = 'ready'`): its peer
 * started uploading and cannot be told to wait, so it comes before any new work.
 */
function readyRow(now: number, lock: boolean, gate = sql``): RawBuilder<unknown> {
  return sql`SELECT id FROM downloads
    WHERE source_wait = 'ready' AND ${poolStatus('transfer')} AND hold = 'none' AND ${UNLEASED(now)}
      ${gate}
    ORDER BY priority DESC, position ASC LIMIT 1 ${lock ? sql`FOR UPDATE SKIP LOCKED` : sql``}`;
}

/**
 * A download of the transfer pool waiting out a retry backoff (`next_retry_at` set) is out of the
 * claim's order until it is woken once its time has come (retry-wake.repository.ts, migration 035): the
 * partial index `downloads_queue` holds only rows without one, so a claim never walks past the
 * thousands a large queue may have waiting for tomorrow.
 */
const NO_RETRY_PENDING = sql`next_retry_at IS NULL`;

/** Stands for "no such row" in `nextRunAfter`'s least of several (a time no clock reaches). */
const NEVER = Number.MAX_SAFE_INTEGER;

/**
 * The pool's next due download neither held nor parked, in queue order: the pool's partial index
 * (`downloads_queue`, `downloads_filing`) read in order, stopping at the first row that fits.
 * SQLite is told to use it (`INDEXED BY`): left to itself, it scans and sorts the whole table
 * (20 ms a claim at 20,000 rows, against 0.01 ms). `lock`: taken FOR UPDATE SKIP LOCKED on
 * PostgreSQL (the claim's one statement).
 */
function dueRow(
  now: number,
  dialect: Dialect,
  pool: SlotPool,
  options: { lock?: boolean; gate?: RawBuilder<unknown> } = {},
): RawBuilder<unknown> {
  const { lock = false, gate = sql`` } = options;
  const postgres = dialect === 'postgres';
  const index = sql.raw(POOLS[pool].index);
  const retry = pool === 'transfer' ? sql`AND ${NO_RETRY_PENDING}` : sql``;
  return sql`SELECT id FROM downloads ${postgres ? sql`` : sql`INDEXED BY ${index}`}
    WHERE ${poolStatus(pool)} AND hold = 'none' ${retry} AND run_after <= ${now}
      AND source_wait IS NULL AND ${UNLEASED(now)} ${gate}
    ORDER BY priority DESC, position ASC, created_at ASC, id ASC
    LIMIT 1 ${lock && postgres ? sql`FOR UPDATE SKIP LOCKED` : sql``}`;
}

/** When `extend` accepts a lease whose expiry has passed (the rule at the top). */
type LapsedRule = 'never' | { belowLimit: number };

interface Claimed {
  id: string;
  lease_token: number;
}

export function createQueueRepository(handle: DatabaseHandle) {
  const { db, dialect } = handle;
  /** Per pool: slot rows known to exist in this process, 0 … slotsUpTo - 1. */
  const slotsUpTo: Record<SlotPool, number> = { transfer: 0, filing: 0 };
  /**
   * Per pool: the limit for which this process found no slot at or above it naming a lease (once
   * per limit).
   */
  const clearedFor: Record<SlotPool, number | null> = { transfer: null, filing: null };

  /**
   * PostgreSQL: the whole claim as ONE statement, so it is one round trip in autocommit. Only the
   * transfer pool has parked downloads (`ready`) to take first.
   */
  const claimPostgres = async (
    pool: SlotPool,
    owner: string,
    now: number,
    leaseMs: number,
    max: number,
    backlogCap: number,
  ) => {
    const expires = now + leaseMs;
    const slotFirst = sql`AND EXISTS (SELECT 1 FROM slot)`;
    const gate = backlogGate(now, 'postgres', backlogCap);
    const picks =
      pool === 'transfer'
        ? sql`ready AS (${readyRow(now, true, slotFirst)}),
          due AS (${dueRow(now, 'postgres', pool, { lock: true, gate: sql`${slotFirst} AND NOT EXISTS (SELECT 1 FROM ready) ${gate}` })}),
          pick AS (SELECT id FROM ready UNION ALL SELECT id FROM due)`
        : sql`pick AS (${dueRow(now, 'postgres', pool, { lock: true, gate: slotFirst })})`;
    const { rows } = await sql<Claimed>`
      WITH slot AS (${freeSlot(pool, now, max, true)}),
      ${picks},
      claimed AS (
        UPDATE downloads d SET lease_owner = ${owner}, lease_expires_at = ${expires},
          lease_token = d.lease_token + 1, source_wait = NULL
        FROM pick
        WHERE d.id = pick.id
        RETURNING d.id, d.lease_token),
      taken AS (
        UPDATE ${sql.table(POOLS[pool].table)} q SET download_id = claimed.id,
          lease_token = claimed.lease_token, expires_at = ${expires}
        FROM slot, claimed WHERE q.slot_no = slot.slot_no
        RETURNING q.slot_no)
      SELECT claimed.id, claimed.lease_token FROM claimed, taken`.execute(db);
    return rows[0] ?? null;
  };

  /** SQLite: the same steps in one BEGIN IMMEDIATE transaction (a single writer anyway). */
  const claimSqlite = (
    pool: SlotPool,
    owner: string,
    now: number,
    leaseMs: number,
    max: number,
    backlogCap: number,
  ) =>
    handle.writeTx(async (tx) => {
      const expires = now + leaseMs;
      const slot = (await sql<{ slot_no: number }>`${freeSlot(pool, now, max, false)}`.execute(tx))
        .rows[0];
      if (!slot) return null;
      const ready =
        pool === 'transfer'
          ? (await sql<{ id: string }>`${readyRow(now, false)}`.execute(tx)).rows[0]
          : undefined;
      const row =
        ready ??
        (
          await sql<{
            id: string;
          }>`${dueRow(now, 'sqlite', pool, pool === 'transfer' ? { gate: backlogGate(now, 'sqlite', backlogCap) } : {})}`.execute(
            tx,
          )
        ).rows[0];
      if (!row) return null;
      const claimed = await tx
        .updateTable('downloads')
        .set((eb) => ({
          lease_owner: owner,
          lease_expires_at: expires,
          lease_token: eb('lease_token', '+', 1),
          source_wait: null,
        }))
        .where('id', '=', row.id)
        .returning(['id', 'lease_token'])
        .executeTakeFirstOrThrow();
      await tx
        .updateTable(POOLS[pool].table as 'queue_slots')
        .set({ download_id: claimed.id, lease_token: claimed.lease_token, expires_at: expires })
        .where('slot_no', '=', slot.slot_no)
        .execute();
      return claimed;
    });

  /**
   * Extends a lease through its slot (the rule above): the slot row first, then the download row
   * only while that slot still names this lease. `live`: only a lease that has not expired yet.
   * On PostgreSQL one statement; on SQLite a transaction of the same two writes.
   */
  const extend = async (lease: Lease, now: number, leaseMs: number, lapsed: LapsedRule) => {
    const expires = now + leaseMs;
    // A lapsed lease: never for confirm; for renew only in a slot below the limit (the rule).
    const slotLive =
      lapsed === 'never'
        ? sql`AND expires_at > ${now}`
        : sql`AND (expires_at > ${now} OR slot_no < ${lapsed.belowLimit})`;
    const rowLive = lapsed === 'never' ? sql`AND lease_expires_at > ${now}` : sql``;
    const ours = sql`id = ${lease.downloadId} AND lease_owner = ${lease.owner}
      AND lease_token = ${lease.token} ${rowLive}`;
    // The slot moves on only while the download row still names this lease: a failed renewal
    // (cancelled, taken over, deleted) must not keep a slot held that its download let go.
    const slot = sql`UPDATE ${sql.table(POOLS[lease.pool].table)} SET expires_at = ${expires}
      WHERE download_id = ${lease.downloadId} AND lease_token = ${lease.token} ${slotLive}
        AND EXISTS (SELECT 1 FROM downloads WHERE ${ours})
      RETURNING slot_no`;
    const row = (slotWritten: RawBuilder<unknown>) => sql<{ id: string }>`
      UPDATE downloads SET lease_expires_at = ${expires} WHERE ${ours} AND ${slotWritten}
      RETURNING id`;
    if (dialect === 'postgres') {
      const { rows } = await sql<{ id: string }>`
        WITH slot AS (${slot}) ${row(sql`EXISTS (SELECT 1 FROM slot)`)}`.execute(db);
      return rows.length === 1;
    }
    // One writer at a time on SQLite: the EXISTS above is exact, so the row write cannot fail.
    return handle.writeTx(async (tx) => {
      if ((await slot.execute(tx)).rows.length === 0) return false;
      return (await row(sql`true`).execute(tx)).rows.length === 1;
    });
  };

  return {
    /**
     * Slot rows 0 … maxConcurrent - 1 exist (added when the limit is first seen or raised; a
     * no-op for rows that are there). Once per process and limit, not per claim.
     */
    async ensureSlots(
      maxConcurrent: number,
      now?: number,
      pool: SlotPool = 'transfer',
    ): Promise<void> {
      // A limit not seen before (or slots above it still held last time): clear above it.
      if (now !== undefined && clearedFor[pool] !== maxConcurrent) {
        const { cleared, held } = await this.clearAbove(maxConcurrent, now, pool);
        if (held === 0) clearedFor[pool] = maxConcurrent;
        // Statistics that still count the emptied rows steer PostgreSQL past the partial index
        // (measured: 60 ms a claim instead of 3 over 10,000 emptied rows until autovacuum ran).
        if (cleared > 1000 && dialect === 'postgres') await this.analyzeSlots(pool);
      }
      if (maxConcurrent <= slotsUpTo[pool]) return;
      // A transaction so SQLite takes its write lock up front (a read that turns into a write
      // could fail at once when another connection wrote meanwhile).
      await handle.writeTx((tx) =>
        sql`WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ${maxConcurrent})
        INSERT INTO ${sql.table(POOLS[pool].table)} (slot_no) SELECT k FROM n WHERE true
        ON CONFLICT (slot_no) DO NOTHING`.execute(tx),
      );
      slotsUpTo[pool] = maxConcurrent;
    },

    /**
     * Below a lowered limit: empties the FREE slots at or above it (the rule: an empty slot is
     * free, so nothing held changes), so the claim's look above the limit reads only slots that
     * may still be held. Returns how many it emptied and how many there are still held. Safe
     * against a claim or renewal of the same slot for the reason `slotFree` states (the re-checked
     * row is held, and keeps its values).
     */
    async clearAbove(
      maxConcurrent: number,
      now: number,
      pool: SlotPool = 'transfer',
    ): Promise<{ cleared: number; held: number }> {
      // RETURNING each slot's state after the statement: NULL where cleared, a lease where held.
      const { rows } = await handle.writeTx((tx) =>
        sql<{ download_id: string | null }>`
          UPDATE ${sql.table(POOLS[pool].table)} AS s SET download_id = CASE WHEN ${slotFree('s', now)}
              THEN NULL ELSE s.download_id END,
            lease_token = CASE WHEN ${slotFree('s', now)} THEN NULL ELSE s.lease_token END,
            expires_at = CASE WHEN ${slotFree('s', now)} THEN NULL ELSE s.expires_at END
          WHERE s.slot_no >= ${maxConcurrent} AND s.download_id IS NOT NULL
          RETURNING download_id`.execute(tx),
      );
      const cleared = rows.filter((r) => r.download_id === null).length;
      return { cleared, held: rows.length - cleared };
    },

    /** PostgreSQL: fresh statistics for the slot table after many of its rows were emptied. */
    async analyzeSlots(pool: SlotPool = 'transfer'): Promise<void> {
      await sql`ANALYZE ${sql.table(POOLS[pool].table)}`.execute(db);
    },

    /**
     * Claims the next download to work on, if a slot below `maxConcurrent` is free (the rule
     * above; parked downloads hold no lease and no slot). A `ready` parked download comes first,
     * otherwise the next due download that is neither held nor parked, highest priority first,
     * then by queue position, then oldest. Takes the slot and the lease together: lease owner and
     * expiry, the fencing token bumped, `source_wait` cleared (from here a worker follows its
     * transfer). Returns null when no slot is free or nothing may run now. `pool` says which
     * slots and which downloads (the rule at the top); `maxConcurrent` is that pool's limit.
     * `maxFilingBacklog` (transfer pool; 0 = none): while that many downloads wait for filing,
     * nothing is claimed that would search or enqueue (`filingBacklogCount`, `backlogGate`).
     */
    async claimNext(
      owner: string,
      now: number,
      leaseMs: number,
      maxConcurrent: number,
      pool: SlotPool = 'transfer',
      maxFilingBacklog = 0,
    ): Promise<Lease | null> {
      await this.ensureSlots(maxConcurrent, now, pool);
      const claimed =
        dialect === 'postgres'
          ? await claimPostgres(pool, owner, now, leaseMs, maxConcurrent, maxFilingBacklog)
          : await claimSqlite(pool, owner, now, leaseMs, maxConcurrent, maxFilingBacklog);
      return claimed
        ? { downloadId: claimed.id, owner, token: Number(claimed.lease_token), pool }
        : null;
    },

    /**
     * Extends a lease; false when it was taken over or the download was cancelled meanwhile, or
     * when it expired and its slot went to another claim or lies at or above `maxConcurrent`, the
     * limit of the lease's pool (then it may not come back: one lease more than the limit).
     */
    renew(lease: Lease, now: number, leaseMs: number, maxConcurrent: number): Promise<boolean> {
      return extend(lease, now, leaseMs, { belowLimit: maxConcurrent });
    },

    /**
     * Before a side effect outside the database (a call to the daemon), which no fencing token can
     * take back: true only if the lease is ours AND still valid, and then it is extended, so no other
     * process can claim the download while the call goes out. An expired lease does not count even
     * if nobody has claimed it yet: a worker resumed after a pause must not act on stale timers.
     */
    confirm(lease: Lease, now: number, leaseMs: number): Promise<boolean> {
      return extend(lease, now, leaseMs, 'never');
    },

    /**
     * A state write fenced by the lease: throws LeaseLostError when the lease is no longer ours.
     * Returns the row as committed, with what others wrote meanwhile without taking the lease
     * (priority, queue position), so the worker's events never announce a stale copy.
     */
    async fencedUpdate(
      lease: Lease,
      patch: Updateable<DownloadsTable>,
      tx = db,
    ): Promise<Selectable<DownloadsTable>> {
      const row = await tx
        .updateTable('downloads')
        .set(patch)
        .where('id', '=', lease.downloadId)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new LeaseLostError(lease.downloadId);
      return row;
    },

    /** Gives the download back to the queue (optionally with a last fenced write); the row after. */
    release(
      lease: Lease,
      patch: Updateable<DownloadsTable> = {},
      tx = db,
    ): Promise<Selectable<DownloadsTable>> {
      return this.fencedUpdate(lease, { ...patch, lease_owner: null, lease_expires_at: null }, tx);
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

    /**
     * The earliest run_after among due-later downloads, to sleep exactly until then, or the
     * earliest retry due after `wokeThrough` (the runner's last wake): one whose time came between
     * that wake and now is still asleep, and the runner looks again at once. One look per status, each the first entry after `now` in
     * `downloads_claim` (status, run_after), and one into `downloads_retry_pending`: a single min
     * over all of them made PostgreSQL read every unfinished row (7 ms at 100,000).
     */
    async nextRunAfter(now: number, wokeThrough = now): Promise<number | null> {
      const firsts = ACTIVE_STATUSES.map(
        (status) => sql`(SELECT run_after FROM downloads
          WHERE status = ${sql.lit(status)} AND run_after > ${now} AND hold = 'none'
            AND source_wait IS NULL
          ORDER BY run_after LIMIT 1)`,
      );
      firsts.push(sql`(SELECT next_retry_at FROM downloads WHERE next_retry_at IS NOT NULL
        AND next_retry_at > ${wokeThrough} ORDER BY next_retry_at LIMIT 1)`);
      const { rows } = await sql<{ t: number | string | null }>`SELECT ${
        dialect === 'postgres' ? sql`LEAST` : sql`MIN`
      }(${sql.join(firsts.map((f) => sql`COALESCE(${f}, ${NEVER})`))}) AS t`.execute(db);
      const t = rows[0]?.t;
      return t === null || t === undefined || Number(t) >= NEVER ? null : Number(t);
    },
  };
}

export type QueueRepository = ReturnType<typeof createQueueRepository>;
