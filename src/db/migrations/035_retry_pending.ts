import { sql, type Kysely } from 'kysely';

/**
 * Downloads waiting out a retry backoff leave the claim's order (docs/architecture.md, "Waiting
 * for a retry"). Such a download is `waiting` with `next_retry_at` set, often for hours, and a
 * large queue holds thousands of them (whole discographies nobody shares yet). In
 * `downloads_queue` they sat among the due rows, so every claim and every look ahead walked past
 * each of them in order, reading its row to find `run_after` still to come: 15,000 of them made a
 * claim 8 ms on PostgreSQL and the look ahead as much, many times a second.
 *
 * - `downloads_queue` now holds only rows with no retry pending (`next_retry_at IS NULL`): what
 *   a claim walks is what it may take, a handful of entries instead of every waiting retry.
 * - `downloads_retry_pending` finds the retries whose time has come, in time order: the runner
 *   clears their `next_retry_at` (queue.repository.ts, `wakeRetries`), which puts them back in
 *   the claim's order, before each round of claims.
 *
 * Before this, nothing cleared `next_retry_at` when a retry began or when a resume, an ended
 * schedule or the daemon's return made the download due early: a row could keep a time still
 * to come while due, even downloading. Left so, it would now be out of the claim's order until
 * that time. Only a download still waiting out its backoff (`run_after` is that time, as
 * `retryLater` and `resumeLater` leave it) keeps it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`UPDATE downloads SET next_retry_at = NULL
    WHERE next_retry_at IS NOT NULL
      AND NOT (status IN ('waiting', 'processing') AND run_after = next_retry_at)`.execute(db);
  await sql`DROP INDEX downloads_queue`.execute(db);
  await sql`CREATE INDEX downloads_queue ON downloads (priority DESC, position, created_at, id)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading') AND hold = 'none'
      AND next_retry_at IS NULL`.execute(db);
  await sql`CREATE INDEX downloads_retry_pending ON downloads (next_retry_at)
    WHERE next_retry_at IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_retry_pending`.execute(db);
  await sql`DROP INDEX downloads_queue`.execute(db);
  await sql`CREATE INDEX downloads_queue ON downloads (priority DESC, position, created_at, id)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading') AND hold = 'none'`.execute(
    db,
  );
}
