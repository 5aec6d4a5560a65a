import { sql, type Kysely } from 'kysely';

/**
 * Filing gets slots of its own (docs/architecture.md, "Slots"): a download whose bytes are in gives
 * its transfer slot back in the commit that records the transfer done, and its filing (verify →
 * transcode check → tag → cover → place) is claimed into a slot of `filing_slots`, bounded by the
 * setting `maxConcurrentFiling`. The table has the shape and the rule of `queue_slots` (migration
 * 009, queue.repository.ts); the pool a slot belongs to is its table, so neither pool's claim
 * ever reads the other's rows.
 *
 * - `downloads_queue` now holds only the transfer pool's statuses (a backlog of files waiting for
 *   a filing slot is never walked by a transfer claim), and `downloads_filing` is the filing
 *   claim's order over `processing` rows. Both keep the claim order: priority desc, position,
 *   created, id.
 *
 * Leases live when this runs (a process of the earlier version filing in a transfer slot) keep
 * their `queue_slots` row and are renewed there until they end.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('filing_slots')
    .addColumn('slot_no', 'integer', (c) => c.primaryKey())
    .addColumn('download_id', 'text')
    .addColumn('lease_token', 'integer')
    .addColumn('expires_at', 'bigint')
    .execute();
  await sql`CREATE INDEX filing_slots_lease ON filing_slots (download_id, lease_token)`.execute(db);
  await sql`CREATE INDEX filing_slots_named ON filing_slots (slot_no) WHERE download_id IS NOT NULL`.execute(
    db,
  );
  await sql`DROP INDEX downloads_queue`.execute(db);
  await sql`CREATE INDEX downloads_queue ON downloads (priority DESC, position, created_at, id)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading') AND hold = 'none'`.execute(
    db,
  );
  await sql`CREATE INDEX downloads_filing ON downloads (priority DESC, position, created_at, id)
    WHERE status = 'processing' AND hold = 'none'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_filing`.execute(db);
  await sql`DROP INDEX downloads_queue`.execute(db);
  await sql`CREATE INDEX downloads_queue ON downloads (priority DESC, position, created_at, id)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading', 'processing')
      AND hold = 'none'`.execute(db);
  await db.schema.dropTable('filing_slots').execute();
}
