import { sql, type Kysely } from 'kysely';

/**
 * The first schema. BIGINT holds epoch-ms times and byte counts on PostgreSQL; SQLite's INTEGER is
 * 64-bit already. The partial unique index on dedupe_key is what makes "one active download per
 * track" hold across processes, not a read-then-insert check.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('downloads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('artist', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('album', 'text')
    .addColumn('album_artist', 'text')
    .addColumn('track_number', 'integer')
    .addColumn('disc_number', 'integer')
    .addColumn('year', 'integer')
    .addColumn('genre', 'text')
    .addColumn('duration_seconds', 'integer')
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('progress', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_transferred', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('size', 'bigint')
    .addColumn('retry_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_retries', 'integer', (c) => c.notNull())
    .addColumn('next_retry_at', 'bigint')
    .addColumn('run_after', 'bigint', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('search_id', 'text')
    .addColumn('query_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('candidates', 'text')
    .addColumn('current_attempt_id', 'text')
    .addColumn('queue_position', 'integer')
    .addColumn('library_path', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('lease_token', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();

  await sql`CREATE UNIQUE INDEX downloads_active_dedupe ON downloads (dedupe_key)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading', 'processing')`.execute(db);
  await sql`CREATE INDEX downloads_claim ON downloads (status, run_after)`.execute(db);
  await sql`CREATE INDEX downloads_newest ON downloads (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX downloads_lease ON downloads (lease_owner)`.execute(db);

  await db.schema
    .createTable('attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('download_id', 'text', (c) =>
      c.notNull().references('downloads.id').onDelete('cascade'),
    )
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('extension', 'text', (c) => c.notNull())
    .addColumn('bit_rate', 'integer')
    .addColumn('sample_rate', 'integer')
    .addColumn('bit_depth', 'integer')
    .addColumn('length_seconds', 'integer')
    .addColumn('batch_id', 'text', (c) => c.notNull().unique())
    .addColumn('transfer_id', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('local_path', 'text')
    .addColumn('target_path', 'text')
    .addColumn('requeues', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await sql`CREATE INDEX attempts_download ON attempts (download_id)`.execute(db);
  await sql`CREATE INDEX attempts_active_user ON attempts (username, state)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('attempts').execute();
  await db.schema.dropTable('downloads').execute();
}
