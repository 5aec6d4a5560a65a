import type { Kysely } from 'kysely';

/**
 * The folder an album request named (a Lidarr grab of one of SoulSpot's own releases, or a
 * caller's pick): the folder search takes it while it holds as many of the album's tracks as the
 * best folder found (folder-choice.ts). NULL: no folder named, the best one is taken. Stored on
 * the row because the folder search runs after the 201, and again after a crash.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('albums').addColumn('named_provider', 'text').execute();
  await db.schema.alterTable('albums').addColumn('named_username', 'text').execute();
  await db.schema.alterTable('albums').addColumn('named_directory', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('albums').dropColumn('named_directory').execute();
  await db.schema.alterTable('albums').dropColumn('named_username').execute();
  await db.schema.alterTable('albums').dropColumn('named_provider').execute();
}
