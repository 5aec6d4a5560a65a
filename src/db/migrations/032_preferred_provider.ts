import { sql, type Kysely } from 'kysely';

/**
 * A download's preferred provider (docs/architecture.md, "Fallback across providers"): the
 * indexer it searches first, before its profile's provider order (a watch rule's `provider`, or
 * the request's). NULL: none, the profile's order alone. An id no longer configured is ignored at
 * search time (removing an indexer through the API also clears it, sources.service.ts).
 *
 * `albums.preferred_provider`: the same for an album request, kept on the album because its
 * tracks may be made after the 201 (from the folder its search finds), and each gets it.
 *
 * `feed_entries.provider`: the watch rule's `provider` as the entry matched it (beside its
 * `quality_profile_id`), so the accept, and its second try after a crash, asks for what the rule
 * said then.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('downloads').addColumn('preferred_provider', 'text').execute();
  await db.schema.alterTable('albums').addColumn('preferred_provider', 'text').execute();
  await db.schema.alterTable('feed_entries').addColumn('provider', 'text').execute();
  // Entries matched before this column and not accepted yet ask with their rule's provider, as
  // they would have, had the column been there when they matched.
  await sql`UPDATE feed_entries SET provider = (
      SELECT r.provider FROM watchlist_rules r WHERE r.id = feed_entries.rule_id)
    WHERE outcome = 'pending' AND rule_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('feed_entries').dropColumn('provider').execute();
  await db.schema.alterTable('albums').dropColumn('preferred_provider').execute();
  await db.schema.alterTable('downloads').dropColumn('preferred_provider').execute();
}
