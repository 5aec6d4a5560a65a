import { sql, type Kysely } from 'kysely';

/**
 * `downloads.duration_seconds` becomes a double: durations are fractional (215.4 s). As INTEGER,
 * PostgreSQL refused a fractional value (a 500) while SQLite kept it as REAL anyway, so the two
 * disagreed. The column is replaced rather than retyped so one sequence of statements works on both
 * engines: SQLite has no ALTER COLUMN ... TYPE. The column is in no index or constraint, so
 * SQLite can drop it; it moves to the end of the table, which nothing depends on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('downloads')
    .addColumn('duration_seconds_double', 'double precision')
    .execute();
  await sql`UPDATE downloads SET duration_seconds_double = duration_seconds`.execute(db);
  await db.schema.alterTable('downloads').dropColumn('duration_seconds').execute();
  await db.schema
    .alterTable('downloads')
    .renameColumn('duration_seconds_double', 'duration_seconds')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('downloads').addColumn('duration_seconds_int', 'integer').execute();
  await sql`UPDATE downloads SET duration_seconds_int = ROUND(duration_seconds)`.execute(db);
  await db.schema.alterTable('downloads').dropColumn('duration_seconds').execute();
  await db.schema
    .alterTable('downloads')
    .renameColumn('duration_seconds_int', 'duration_seconds')
    .execute();
}
