import { sql, type Kysely } from 'kysely';

/**
 * Searches ahead across processes, and cheaper slot scans (docs/architecture.md, "Slot refill").
 *
 * - `prefetch_marks`: one row per download some process is searching ahead for (`searching = 1`,
 *   until the search's bound) or searched ahead for without a usable result (`searching = 0`, until
 *   that result goes stale). A process takes a mark with one conditional upsert (only over an
 *   expired one), so two processes never search the same download ahead at once, and the budget of
 *   searches ahead counts the live marks of every process. Expiry covers a crashed process.
 * - `queue_slots_lease`: renew and confirm find a lease's slot by (download_id, lease_token)
 *   instead of scanning every slot row (up to the highest limit ever set).
 * - `queue_slots_named`: the claim's look at slots at or above the limit reads only slots that
 *   name a lease; a lowered limit clears the free ones above it (queue.repository.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('prefetch_marks')
    .addColumn('download_id', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('searching', 'integer', (c) => c.notNull())
    .addColumn('until', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX queue_slots_lease ON queue_slots (download_id, lease_token)`.execute(db);
  await sql`CREATE INDEX queue_slots_named ON queue_slots (slot_no) WHERE download_id IS NOT NULL`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX queue_slots_named`.execute(db);
  await sql`DROP INDEX queue_slots_lease`.execute(db);
  await db.schema.dropTable('prefetch_marks').execute();
}
