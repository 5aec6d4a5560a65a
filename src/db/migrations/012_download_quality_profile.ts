import { sql, type Kysely } from 'kysely';

/**
 * The quality profile a download asked for (issue 8 step 2). Null means "the default profile at
 * search time": a download made before profiles existed, or one that named none, follows whatever
 * profile is the default when it searches, so changing the default applies to it.
 *
 * The foreign key makes an id that names no profile impossible, even against a delete racing an
 * accept. ON DELETE SET NULL only ever touches finished downloads: the service refuses (409) to
 * delete a profile that an unfinished download names, so a search never silently falls back to
 * the default behind the user's back; a finished download's choice is history, and is let go.
 *
 * The partial index serves that count and the delete's own foreign-key look-up, and holds only
 * the rows that name a profile.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('downloads')
    .addColumn('quality_profile_id', 'text', (c) =>
      c.references('quality_profiles.id').onDelete('set null'),
    )
    .execute();
  await sql`CREATE INDEX downloads_quality_profile ON downloads (quality_profile_id, status)
    WHERE quality_profile_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX downloads_quality_profile`.execute(db);
  await db.schema.alterTable('downloads').dropColumn('quality_profile_id').execute();
}
