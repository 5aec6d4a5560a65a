import { sql, type Kysely } from 'kysely';

/**
 * Jobs and notifications (issue 9 part 2).
 *
 * `jobs` is the one generic job table for work that is not a download (notification deliveries
 * now; feed polls, Lidarr syncs, backups later), in graphile-worker's shape: a task name, a JSON
 * payload, attempts out of `max_attempts`, `run_after`, a lease (owner, expiry, fencing token)
 * and `last_error`. `unique_key` names a job that has not started yet: enqueueing under a key
 * that a waiting job holds returns that job (de-duplication, and the notification debounce); the
 * claim clears it, so a running or retrying job is never merged into. Completed jobs are deleted;
 * `state = 'dead'` keeps the ones whose last attempt failed, with their error (src/jobs).
 *
 * `notification_targets` are the user's targets; `notification_items` the events waiting in a
 * delivery job (deleted with it); `notification_deliveries` one row per attempt, for the API.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('unique_key', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('queued'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_after', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('lease_token', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The claim reads waiting jobs in due order; dead ones are never read by it.
  await sql`CREATE INDEX jobs_due ON jobs (run_after, id) WHERE state = 'queued'`.execute(db);
  await sql`CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL`.execute(db);

  await db.schema
    .createTable('notification_targets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('token', 'text')
    .addColumn('topic', 'text')
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('notification_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX notification_items_job ON notification_items (job_id, id)`.execute(db);

  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('target_id', 'text', (c) =>
      c.notNull().references('notification_targets.id').onDelete('cascade'),
    )
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('item_count', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX notification_deliveries_target ON notification_deliveries (target_id, at, id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notification_deliveries').execute();
  await db.schema.dropTable('notification_items').execute();
  await db.schema.dropTable('notification_targets').execute();
  await db.schema.dropTable('jobs').execute();
}
