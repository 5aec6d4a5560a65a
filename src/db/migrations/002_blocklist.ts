import { sql, type Kysely } from 'kysely';

/**
 * The blocklist and the per-peer track record.
 *
 * `blocklist.filename` is NOT NULL and '' means "every file of this user". A UNIQUE index treats
 * NULLs as distinct on both engines (PostgreSQL 15's NULLS NOT DISTINCT has no SQLite equivalent),
 * and partial indexes would need two different ON CONFLICT targets. With '' one plain unique index
 * on (username, filename) holds "at most one entry per source" and is the target of every upsert.
 * Soulseek file names are never empty, so '' cannot collide with a real file. The API maps it to null.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('blocklist')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('reason', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('failure_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .execute();
  // Also serves the per-user lookups of a ranking (username is its leading column).
  await sql`CREATE UNIQUE INDEX blocklist_source ON blocklist (username, filename)`.execute(db);
  await sql`CREATE INDEX blocklist_expiry ON blocklist (expires_at)`.execute(db);

  await db.schema
    .createTable('peer_stats')
    .addColumn('username', 'text', (c) => c.primaryKey())
    .addColumn('successes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures_by_code', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('speed_samples', 'integer', (c) => c.notNull().defaultTo(0))
    // Double, not REAL: PostgreSQL's REAL is 4 bytes, too coarse for a running mean of bytes/s.
    .addColumn('average_speed', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('last_failure_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  // One row per failure that counts towards an automatic block, so "N failures within the window"
  // is an exact count rather than a decaying estimate. Rows older than the window are pruned.
  await db.schema
    .createTable('peer_failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX peer_failures_user_at ON peer_failures (username, at)`.execute(db);
  await sql`CREATE INDEX peer_failures_at ON peer_failures (at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('peer_failures').execute();
  await db.schema.dropTable('peer_stats').execute();
  await db.schema.dropTable('blocklist').execute();
}
