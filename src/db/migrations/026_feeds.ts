import { sql, type Kysely } from 'kysely';

/**
 * RSS/Atom feeds and the watchlist (issue 11 part 4).
 *
 * - `feeds`: one row per feed, and its schedule. `next_poll_at` is when it is due; a poll takes
 *   the row with a conditional UPDATE (lease_until/lease_owner, lease_token as the fencing token),
 *   so among processes sharing the database one polls a feed per interval, never two. `etag` and
 *   `last_modified` are the validators of the last 200 (sent back as If-None-Match /
 *   If-Modified-Since); `failures` counts consecutive failed polls (the backoff ladder's step);
 *   `last_*` is what the last poll found. Booleans are integers 0/1 in both dialects.
 * - `watchlist_rules`: the artists watched; `artist_key` is the artist normalized as matching
 *   does; `keywords`/`exclude_keywords` are JSON arrays of text.
 * - `feed_entries`: every entry a feed has shown, once: (feed_id, entry_hash) is unique, the hash
 *   being SHA-256 of the entry id (guid, atom:id or link), which may be longer than an index entry
 *   may be. `outcome` is unmatched | pending | accepted | existing | failed; `pending` is a match
 *   committed with the entry and not yet turned into a download: the accept step claims it
 *   (claim_owner/claim_until) and a crash leaves it pending, for the next one.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('feeds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('interval_minutes', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('allow_private', 'integer', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('last_modified', 'text')
    .addColumn('next_poll_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('lease_token', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_polled_at', 'bigint')
    .addColumn('last_status', 'text')
    .addColumn('last_http_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_entry_count', 'integer')
    .addColumn('last_new_count', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE enabled = 1`.execute(db);

  await db.schema
    .createTable('watchlist_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('artist', 'text', (c) => c.notNull())
    .addColumn('artist_key', 'text', (c) => c.notNull())
    .addColumn('album', 'text')
    .addColumn('keywords', 'text', (c) => c.notNull())
    .addColumn('exclude_keywords', 'text', (c) => c.notNull())
    .addColumn('allow_variants', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('quality_profile_id', 'text', (c) =>
      c.references('quality_profiles.id').onDelete('set null'),
    )
    .addColumn('provider', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('feed_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('feed_id', 'text', (c) => c.notNull().references('feeds.id').onDelete('cascade'))
    .addColumn('entry_hash', 'text', (c) => c.notNull())
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('link', 'text')
    .addColumn('published_at', 'bigint')
    .addColumn('enclosure_url', 'text')
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.references('watchlist_rules.id').onDelete('set null'))
    .addColumn('kind', 'text')
    .addColumn('artist', 'text')
    .addColumn('release', 'text')
    .addColumn('year', 'integer')
    .addColumn('quality_profile_id', 'text')
    .addColumn('download_id', 'text')
    .addColumn('album_id', 'text')
    .addColumn('claim_owner', 'text')
    .addColumn('claim_until', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE UNIQUE INDEX feed_entries_entry ON feed_entries (feed_id, entry_hash)`.execute(
    db,
  );
  await sql`CREATE INDEX feed_entries_seen ON feed_entries (feed_id, seen_at, id)`.execute(db);
  // The accept step reads only the matches still to be turned into downloads.
  await sql`CREATE INDEX feed_entries_pending ON feed_entries (seen_at, id)
    WHERE outcome = 'pending'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('feed_entries').execute();
  await db.schema.dropTable('watchlist_rules').execute();
  await db.schema.dropTable('feeds').execute();
}
