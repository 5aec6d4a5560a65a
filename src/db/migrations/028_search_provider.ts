import type { Kysely } from 'kysely';

/**
 * Fallback across providers (docs/architecture.md, "Fallback across providers"): the indexer a
 * download is searching now, in its profile's provider order. NULL: the first of the order, which
 * is what every row written before there were several indexers searched. A retry round starts
 * from the first again.
 *
 * `attempts.release`: the indexer release an attempt fetches (JSON of release.ts `IndexerRelease`:
 * the .torrent/.nzb link and its identity), so an enqueue resumed after a crash adds exactly what
 * was chosen. NULL for a file at a Soulseek peer.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('downloads').addColumn('search_provider', 'text').execute();
  await db.schema.alterTable('attempts').addColumn('release', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('attempts').dropColumn('release').execute();
  await db.schema.alterTable('downloads').dropColumn('search_provider').execute();
}
