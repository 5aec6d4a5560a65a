import type { Kysely } from 'kysely';

/**
 * `peer_failures.download_id`: the download whose attempt failed (NULL for rows written before).
 * An indexer release (an album torrent, an NZB) is fetched once for many track downloads, so one
 * stall fails every track's attempt at once: counted per row, that one failure of the release
 * would reach the block threshold by itself. The release's count is therefore the most any one
 * download failed on it (blocklist.service.ts); rows from before count together, as they did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('peer_failures').addColumn('download_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('peer_failures').dropColumn('download_id').execute();
}
