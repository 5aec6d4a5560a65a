import { sql, type Kysely } from 'kysely';

/**
 * Lidarr integration (issue 12, parts 2–4).
 *
 * - `lidarr_grabs`: one row per NZB Lidarr handed to the SABnzbd-compatible API (`addfile`). The
 *   NZB's signed payload hashes to `nzb_key` (unique): the same NZB added twice is one album and one
 *   `nzo_id`, also when two requests race (the insert is the claim). `album_id` is null for the
 *   moment between the claim and the album's accept; `size` is the release's bytes as the search
 *   found them (what the queue shows until the tracks have sources). `removed_at`: Lidarr deleted it from the
 *   queue or history (the album itself stays in SoulSpot).
 * - `lidarr_wanted`: one row per Lidarr album id the wanted-list sync queued, so a sync (in any
 *   process, after any restart) queues it once. `state` is the sync's own progress: `claimed`
 *   (the insert, album not yet accepted), `queued` (album accepted), `imported` (the
 *   DownloadedAlbumsScan command was sent), `failed` (the accept or the scan failed; `error` says why).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('lidarr_grabs')
    .addColumn('nzo_id', 'text', (c) => c.primaryKey())
    .addColumn('nzb_key', 'text', (c) => c.notNull().unique())
    .addColumn('album_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('removed_at', 'bigint')
    .execute();
  await sql`CREATE INDEX lidarr_grabs_created ON lidarr_grabs (created_at)`.execute(db);
  await db.schema
    .createTable('lidarr_wanted')
    .addColumn('lidarr_album_id', 'integer', (c) => c.primaryKey())
    .addColumn('album_id', 'text')
    .addColumn('artist', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lidarr_wanted').execute();
  await sql`DROP INDEX lidarr_grabs_created`.execute(db);
  await db.schema.dropTable('lidarr_grabs').execute();
}
