import { sql, type Kysely } from 'kysely';

/**
 * Lists filtered by status (`GET /api/downloads?status=failed`, newest first) can walk this index in
 * page order instead of sorting every row of that status (the queue benchmark's filtered page on
 * PostgreSQL missed its p99 target without it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX downloads_status_newest ON downloads (status, created_at DESC, id DESC)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_status_newest`.execute(db);
}
