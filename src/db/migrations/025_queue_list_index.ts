import { sql, type Kysely } from 'kysely';

/**
 * `GET /api/downloads?order=queue` lists downloads in the order the queue runs (priority desc,
 * position, age, id), whatever their status: the partial `downloads_queue` only holds the ones the
 * runner may claim. This one lets a page walk that order from its cursor instead of sorting every
 * row (the web UI's queue view pages through 100,000 downloads this way).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX downloads_queue_order ON downloads (priority DESC, position, created_at, id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_queue_order`.execute(db);
}
