import type { Kysely } from 'kysely';

/**
 * Post-processing after verification (issue 8 part 4): tags, cover art, placement.
 *
 * - downloads: what a request may say about the recording beyond artist/title/album, written into
 *   the file's tags (`isrc`, MusicBrainz ids, `track_total`, `disc_total`), and `cover_url`, the
 *   image to embed. All nullable: a download made before this migration has none of them.
 * - attempts: `post_step`, the last post-processing step this attempt's file finished (null: none
 *   yet; `tagged`; `covered`), so a retry or a restart after a crash resumes from the step that
 *   failed or was interrupted, from the same downloaded file. `post_digest` is the SHA-256 of the
 *   finished working copy, recorded before it is given its library name: a crash after that
 *   rename finds the placed file by its content and adopts it (its bytes differ from slskd's copy,
 *   so the comparison with the source that plain filing uses cannot find it).
 *
 * SQLite adds one column per ALTER TABLE, hence one statement each.
 */
const DOWNLOAD_TEXT = [
  'cover_url',
  'isrc',
  'musicbrainz_recording_id',
  'musicbrainz_release_id',
  'musicbrainz_artist_id',
  'musicbrainz_release_group_id',
];
const DOWNLOAD_INT = ['track_total', 'disc_total'];
const ATTEMPT_TEXT = ['post_step', 'post_digest'];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of DOWNLOAD_TEXT)
    await db.schema.alterTable('downloads').addColumn(column, 'text').execute();
  for (const column of DOWNLOAD_INT)
    await db.schema.alterTable('downloads').addColumn(column, 'integer').execute();
  for (const column of ATTEMPT_TEXT)
    await db.schema.alterTable('attempts').addColumn(column, 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ATTEMPT_TEXT)
    await db.schema.alterTable('attempts').dropColumn(column).execute();
  for (const column of [...DOWNLOAD_INT, ...DOWNLOAD_TEXT])
    await db.schema.alterTable('downloads').dropColumn(column).execute();
}
