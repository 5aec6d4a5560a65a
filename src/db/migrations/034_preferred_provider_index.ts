import { sql, type Kysely } from 'kysely';

/**
 * The downloads that name a provider to search first: what an indexer's removal (or create)
 * clears, 1,000 per transaction (sources/preference-clear.ts). Without it each chunk reads the
 * whole table, 100,000 rows for a few matches; partial, because most downloads name none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX downloads_preferred_provider ON downloads (preferred_provider)
    WHERE preferred_provider IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_preferred_provider`.execute(db);
}
