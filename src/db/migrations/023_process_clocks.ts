import { sql, type Kysely } from 'kysely';

/**
 * Health and metrics (issue 9 parts 4 and 5).
 *
 * - `process_clocks`: one row per SoulSpot process (its instance id), rewritten every few seconds
 *   with the process's own clock (`process_at`) and the database's clock at the same statement
 *   (`db_at`). Their difference is the process's offset from the database; two live processes whose
 *   offsets differ disagree about the time by that much, which matters because leases are written
 *   with one process's clock and judged by another's. A row is live while its `db_at` is recent by
 *   the database's clock (never by a process's, which is what is in doubt).
 * - `downloads_status_hold`: the queue depth by status and hold (`/metrics`, the queue overview) is
 *   one grouped count; this index covers it, so the count reads the index alone instead of every
 *   row (whose `candidates` text pushes `hold` into overflow pages on SQLite).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('process_clocks')
    .addColumn('owner', 'text', (c) => c.primaryKey())
    .addColumn('process_at', 'bigint', (c) => c.notNull())
    .addColumn('db_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX downloads_status_hold ON downloads (status, hold)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_status_hold`.execute(db);
  await db.schema.dropTable('process_clocks').execute();
}
