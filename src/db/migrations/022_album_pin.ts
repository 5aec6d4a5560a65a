import type { Kysely } from 'kysely';

/**
 * An album track's folder file, kept for every fresh start (issue 8 review).
 *
 * - downloads.pinned_candidates: the candidates a fresh start of this download begins with (the
 *   JSON of `StoredCandidates`, `pinned: true`): an album track's file in the album's chosen
 *   folder. The accept writes it beside `candidates`; a retry, or a local-fault resume without a
 *   file, copies it back into `candidates` instead of clearing them, so the retried track tries
 *   the album's folder (its peer) first again and falls back to a search when that fails, as on
 *   its first run. Null for every other download: a retry searches afresh, as before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('downloads').addColumn('pinned_candidates', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('downloads').dropColumn('pinned_candidates').execute();
}
