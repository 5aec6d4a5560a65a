import type { Kysely } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';

/**
 * Kysely types of migration 026's tables. They live with the feature (not in db/schema.ts) so
 * the feature is one folder; `feedDb` widens a handle's type to see them (a type-only cast: the
 * connection is the same).
 */
export interface FeedsTable {
  id: string;
  name: string;
  url: string;
  interval_minutes: number;
  enabled: number;
  allow_private: number;
  etag: string | null;
  last_modified: string | null;
  next_poll_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  lease_token: number;
  failures: number;
  last_polled_at: number | null;
  /** ok | not_modified | failed | refused (address policy) */
  last_status: string | null;
  last_http_status: number | null;
  last_error: string | null;
  last_entry_count: number | null;
  last_new_count: number | null;
  created_at: number;
  updated_at: number;
}

export interface WatchlistRulesTable {
  id: string;
  artist: string;
  artist_key: string;
  album: string | null;
  /** JSON array of text. */
  keywords: string;
  /** JSON array of text. */
  exclude_keywords: string;
  allow_variants: number;
  /** album | track */
  kind: string;
  quality_profile_id: string | null;
  provider: string | null;
  enabled: number;
  created_at: number;
  updated_at: number;
}

export interface FeedEntriesTable {
  id: string;
  feed_id: string;
  entry_hash: string;
  entry_id: string;
  title: string;
  link: string | null;
  published_at: number | null;
  enclosure_url: string | null;
  seen_at: number;
  /** unmatched | pending | accepted | existing | failed */
  outcome: string;
  reason: string;
  rule_id: string | null;
  kind: string | null;
  artist: string | null;
  release: string | null;
  year: number | null;
  quality_profile_id: string | null;
  /** The rule's provider when it matched (migration 032): the indexer its download searches first. */
  provider?: string | null;
  download_id: string | null;
  album_id: string | null;
  claim_owner: string | null;
  claim_until: number | null;
  attempts: number;
  last_error: string | null;
  updated_at: number;
}

export interface FeedTables {
  feeds: FeedsTable;
  watchlist_rules: WatchlistRulesTable;
  feed_entries: FeedEntriesTable;
}

export type FeedDb = Kysely<Database & FeedTables>;

export const feedDb = (db: Db): FeedDb => db as unknown as FeedDb;
