import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

/**
 * The blocklist's unique index holds a digest of the file name, not the name. Automatic entries
 * take the slskd file name as it comes (a path of any length), and PostgreSQL refuses a btree
 * entry over 2704 bytes: a block on a ~2.7 KB name failed the failure's whole transaction. The
 * name stays in `filename`, whole, for the API and for matching; `file_key` = hex SHA-256 of it
 * (`fileKeyOf` below, which the repository uses too: one definition) is what the index and every
 * upsert's conflict target use. 64 characters beside a username of at most a few dozen bytes
 * (Soulseek names are short) keep the entry far under the limit.
 */
export const fileKeyOf = (filename: string): string =>
  createHash('sha256').update(filename, 'utf8').digest('hex');

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('blocklist')
    .addColumn('file_key', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  // Existing entries get their key in JS: SQLite has no SHA-256 in SQL. Blocklists are small.
  const rows = await sql<{
    id: string;
    filename: string;
  }>`SELECT id, filename FROM blocklist`.execute(db);
  for (const row of rows.rows)
    await sql`UPDATE blocklist SET file_key = ${fileKeyOf(row.filename)} WHERE id = ${row.id}`.execute(
      db,
    );
  await sql`DROP INDEX blocklist_source`.execute(db);
  // Still led by username: it serves the per-user lookups of a ranking, as before.
  await sql`CREATE UNIQUE INDEX blocklist_source ON blocklist (username, file_key)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX blocklist_source`.execute(db);
  await sql`CREATE UNIQUE INDEX blocklist_source ON blocklist (username, filename)`.execute(db);
  await db.schema.alterTable('blocklist').dropColumn('file_key').execute();
}
