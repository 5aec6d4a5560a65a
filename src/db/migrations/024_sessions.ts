import { sql, type Kysely } from 'kysely';

/**
 * Browser sessions of the web UI (issue 10, "Login and safety").
 *
 * - `sessions`: one row per logged-in browser. `token_hash` is the hex SHA-256 of the cookie's
 *   random token: the token itself is never stored, so a copy of the database (a backup) logs nobody
 *   in. Times are epoch ms; `expires_at` slides forward, but `refreshed_at` keeps that to one write
 *   an hour per session, not one per request. Rows live in the database (not in a process) so every
 *   process sharing it accepts the same cookie and a restart logs nobody out.
 * - `sessions_expires`: the sweep of expired rows reads the index alone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('refreshed_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX sessions_expires ON sessions (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX sessions_expires`.execute(db);
  await db.schema.dropTable('sessions').execute();
}
