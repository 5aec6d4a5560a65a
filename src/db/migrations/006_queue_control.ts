import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { keyForTime } from '../../downloads/queue-order.js';

/**
 * Queue control: an order that can be changed, and holds that keep the resume point.
 *
 * - `position`: a fractional key (downloads/queue-order.ts). Keys compare byte by byte, so on
 *   PostgreSQL the column uses the "C" collation (a locale collation would sort "a0" and "Zz" the
 *   other way round); SQLite compares text bytewise already. Existing rows get their creation time
 *   as key, the order they ran in before.
 * - `hold`: none | paused | scheduled. Orthogonal to `status`, which stays the resume point, so a
 *   paused download goes on exactly where it stopped.
 * - `scheduled_at`: when a scheduled hold ends.
 *
 * Indexes for 100,000 rows: the claim walks `downloads_queue` in run order (partial: only rows that
 * can run at all); live leases are counted from `downloads_live_lease` (a handful of rows, not a
 * scan); the scheduler finds the next due hold from `downloads_scheduled`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`ALTER TABLE downloads ADD COLUMN position text COLLATE "C" NOT NULL DEFAULT ''`.execute(
      db,
    );
  } else {
    await sql`ALTER TABLE downloads ADD COLUMN position text NOT NULL DEFAULT ''`.execute(db);
  }
  await db.schema
    .alterTable('downloads')
    .addColumn('hold', 'text', (c) => c.notNull().defaultTo('none'))
    .execute();
  await db.schema.alterTable('downloads').addColumn('scheduled_at', 'bigint').execute();

  const rows = await sql<{ id: string; created_at: number | string }>`
    SELECT id, created_at FROM downloads`.execute(db);
  for (const row of rows.rows) {
    await sql`UPDATE downloads SET position = ${keyForTime(Number(row.created_at))}
      WHERE id = ${row.id}`.execute(db);
  }

  await sql`CREATE INDEX downloads_queue ON downloads (priority DESC, position, created_at, id)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading', 'processing')
      AND hold = 'none'`.execute(db);
  await sql`CREATE INDEX downloads_live_lease ON downloads (lease_expires_at)
    WHERE lease_expires_at IS NOT NULL`.execute(db);
  await sql`CREATE INDEX downloads_scheduled ON downloads (scheduled_at)
    WHERE hold = 'scheduled'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_scheduled`.execute(db);
  await sql`DROP INDEX downloads_live_lease`.execute(db);
  await sql`DROP INDEX downloads_queue`.execute(db);
  await db.schema.alterTable('downloads').dropColumn('scheduled_at').execute();
  await db.schema.alterTable('downloads').dropColumn('hold').execute();
  await db.schema.alterTable('downloads').dropColumn('position').execute();
}
