import { sql, type Kysely } from 'kysely';

/**
 * Albums accepted at once and searched in the background; an album track's folder file kept for
 * every fresh start (issue 8 review).
 *
 * - downloads.pinned_candidates: the candidates a fresh start of this download begins with (the
 *   JSON of `StoredCandidates`, `pinned: true`): an album track's file in the album's chosen
 *   folder. The accept writes it beside `candidates`; a retry, or a local-fault resume without a
 *   file, copies it back into `candidates` instead of clearing them, so the retried track tries
 *   the album's folder (its peer) first again and falls back to a search when that fails, as on
 *   its first run. Null for every other download: a retry searches afresh, as before.
 * - albums.folder_search: where the album's folder search stands: `pending` (accepted, not searched
 *   yet or being searched), `done` (the folder chosen, or none: tracks search alone), `failed`
 *   (without a track list nothing could be found or searched; `folder_search_error` says why).
 *   The POST answers 201 with the row `pending`; the search runs in the background and survives a
 *   crash: a pending album whose claim lapsed (`folder_search_until`, set with
 *   `folder_search_owner` by the process searching it) is taken again by any process. Albums
 *   from before this migration are `done`.
 *
 * SQLite adds one column per ALTER TABLE, hence one statement each.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('downloads').addColumn('pinned_candidates', 'text').execute();
  await db.schema
    .alterTable('albums')
    .addColumn('folder_search', 'text', (c) => c.notNull().defaultTo('done'))
    .execute();
  await db.schema.alterTable('albums').addColumn('folder_search_owner', 'text').execute();
  await db.schema.alterTable('albums').addColumn('folder_search_until', 'bigint').execute();
  await db.schema.alterTable('albums').addColumn('folder_search_error', 'text').execute();
  // The recovery's look for lapsed searches reads only pending albums.
  await sql`CREATE INDEX albums_folder_search ON albums (folder_search_until)
    WHERE folder_search = 'pending'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX albums_folder_search`.execute(db);
  for (const column of [
    'folder_search_error',
    'folder_search_until',
    'folder_search_owner',
    'folder_search',
  ])
    await db.schema.alterTable('albums').dropColumn(column).execute();
  await db.schema.alterTable('downloads').dropColumn('pinned_candidates').execute();
}
