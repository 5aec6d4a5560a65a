import { sql, type Kysely } from 'kysely';

/**
 * Albums (issue 8 part 3): an album is a group of downloads, one per track, with the peer folder
 * chosen for it. Its status is never stored: it is derived from its tracks' statuses
 * (src/albums/album-status.ts), so no write of a track can leave it stale. `completed_at` is set
 * once, by the write that completes the last track, in that write's transaction, and is what makes
 * `album.completed` happen exactly once (a conditional UPDATE … WHERE completed_at IS NULL).
 *
 * - `folder_*`: the folder chosen by browsing (null when none was found: every track searches on
 *   its own). `folder_files` is how many files that folder has (browse), for display.
 * - `downloads.album_id`: the album a download belongs to; the partial index serves "the tracks
 *   of an album" and holds only album tracks. A track's title, number and disc are the download's
 *   own columns (`title`, `track_number`, `disc_number`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('albums')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('artist', 'text', (c) => c.notNull())
    .addColumn('album', 'text', (c) => c.notNull())
    .addColumn('year', 'integer')
    .addColumn('quality_profile_id', 'text', (c) =>
      c.references('quality_profiles.id').onDelete('set null'),
    )
    .addColumn('folder_provider', 'text')
    .addColumn('folder_username', 'text')
    .addColumn('folder_directory', 'text')
    .addColumn('folder_files', 'integer')
    .addColumn('track_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();
  await sql`CREATE INDEX albums_created ON albums (created_at, id)`.execute(db);
  await db.schema
    .alterTable('downloads')
    .addColumn('album_id', 'text', (c) => c.references('albums.id').onDelete('set null'))
    .execute();
  await sql`CREATE INDEX downloads_album ON downloads (album_id, status)
    WHERE album_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_album`.execute(db);
  await db.schema.alterTable('downloads').dropColumn('album_id').execute();
  await sql`DROP INDEX albums_created`.execute(db);
  await db.schema.dropTable('albums').execute();
}
