import { sql, type Kysely } from 'kysely';

/**
 * Claim slots (docs/architecture.md, "Claim"): one row per runner slot, `slot_no` 0, 1, 2, … A
 * claim locks a free slot row below `maxConcurrent` and writes the lease it hands out into it
 * (download id, fencing token, expiry), so concurrent claims in several processes serialize on
 * distinct slot rows instead of one global lock. Rows are added by the queue when the limit is
 * raised (`queue.repository.ts#ensureSlots`); none are ever deleted, a lowered limit just leaves
 * the higher ones unused.
 *
 * No foreign key to downloads: a slot whose download was deleted (history `remove`) is simply
 * free, and deletes need not touch this table.
 *
 * Leases live when this migration runs (processes of an earlier version still working) get a slot
 * each, so their renewals keep working after the upgrade.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('queue_slots')
    .addColumn('slot_no', 'integer', (c) => c.primaryKey())
    .addColumn('download_id', 'text')
    .addColumn('lease_token', 'integer')
    .addColumn('expires_at', 'bigint')
    .execute();
  await sql`INSERT INTO queue_slots (slot_no, download_id, lease_token, expires_at)
    SELECT row_number() OVER (ORDER BY id) - 1, id, lease_token, lease_expires_at
    FROM downloads WHERE lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('queue_slots').execute();
}
