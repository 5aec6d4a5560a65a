import { sql, type Kysely } from 'kysely';

/**
 * Downloads waiting in a peer's upload queue hold no runner slot and no lease (docs/architecture.md,
 * "Slots"). `source_wait`: null (not parked), `waiting` (parked: the transfer monitor follows its
 * transfer, the runner does not claim it), `ready` (the transfer moved, ended or stalled: claimed
 * before any new work). `source_wait_since`: when its transfer last changed, the base of the stall
 * deadline while nobody follows it in a worker.
 *
 * `downloads_at_source` holds only parked rows (at most `maxQueuedAtSource` active ones), so
 * counting them and finding the ready ones never scans the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('downloads').addColumn('source_wait', 'text').execute();
  await db.schema.alterTable('downloads').addColumn('source_wait_since', 'bigint').execute();
  await sql`CREATE INDEX downloads_at_source ON downloads (source_wait, priority DESC, position)
    WHERE source_wait IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_at_source`.execute(db);
  await db.schema.alterTable('downloads').dropColumn('source_wait_since').execute();
  await db.schema.alterTable('downloads').dropColumn('source_wait').execute();
}
