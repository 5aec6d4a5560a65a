import { sql } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';

/**
 * The SQL of waiting for a retry (docs/architecture.md, "Waiting for a retry"), the rule stated
 * once: a download with `next_retry_at` set is waiting out a retry backoff and is out of the
 * claim's order (`downloads_queue` holds only rows with none, migration 035) until it is woken,
 * which clears it. So every write that makes such a download due before then clears it too
 * (`DUE_NOW`).
 */

/**
 * The write that makes an unleased download due at once (a resume, the daemon back, an album
 * track given its folder file): a retry's backoff ends with it, or the row would stay out of the
 * claim's order until `next_retry_at`.
 */
export const DUE_NOW = (now: number) => ({ run_after: now, next_retry_at: null }) as const;

/** Rows one `wakeRetries` round clears at most. */
export const WAKE_ROUND = 500;

export function createRetryWakeRepository(handle: DatabaseHandle) {
  const { db, dialect } = handle;
  return {
    /**
     * Whether any retry's time has come: one entry of `downloads_retry_pending`, read outside a
     * transaction, so a round of claims with nothing to wake takes no write lock.
     */
    async anyDue(now: number): Promise<boolean> {
      const indexed = dialect === 'postgres' ? sql`` : sql`INDEXED BY downloads_retry_pending`;
      const { rows } = await sql`SELECT 1 AS due FROM downloads ${indexed}
        WHERE next_retry_at IS NOT NULL AND next_retry_at <= ${now} LIMIT 1`.execute(db);
      return rows.length > 0;
    },

    /**
     * One round of waking: up to WAKE_ROUND downloads whose backoff has ended, found through
     * `downloads_retry_pending` in time order, get `next_retry_at` cleared (and `updated_at`: a
     * shown "retries at" is over). On PostgreSQL the rows are locked with SKIP LOCKED, so two
     * processes waking at once neither wait on nor deadlock with each other. Returns the ids
     * woken (retry-wake.ts loops and reports them).
     */
    async wakeRetries(now: number, tx: Db = db): Promise<string[]> {
      const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
      const indexed = dialect === 'postgres' ? sql`` : sql`INDEXED BY downloads_retry_pending`;
      const { rows } = await sql<{ id: string }>`UPDATE downloads
        SET next_retry_at = NULL, updated_at = ${now}
        WHERE id IN (SELECT id FROM downloads ${indexed}
          WHERE next_retry_at IS NOT NULL AND next_retry_at <= ${now}
          ORDER BY next_retry_at LIMIT ${WAKE_ROUND} ${lock})
        RETURNING id`.execute(tx);
      return rows.map((r) => r.id);
    },
  };
}

export type RetryWakeRepository = ReturnType<typeof createRetryWakeRepository>;
