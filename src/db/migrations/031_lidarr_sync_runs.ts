import { sql, type Kysely } from 'kysely';

/**
 * The wanted-list sync's runs (GET /api/lidarr/sync `lastRun`), one row per run in any process:
 * inserted when it starts, its counts written when it ends. A row without `finished_at` is a run
 * still going, or one whose process stopped mid-run (told apart by its age, wanted-sync.service.ts).
 * Only the newest runs are kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lidarr_sync_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('seen', 'integer', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull())
    .addColumn('imported', 'integer', (c) => c.notNull())
    .addColumn('failed', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await sql`CREATE INDEX lidarr_sync_runs_started ON lidarr_sync_runs (started_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX lidarr_sync_runs_started`.execute(db);
  await db.schema.dropTable('lidarr_sync_runs').execute();
}
