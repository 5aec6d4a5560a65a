import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import {
  feedDb,
  type FeedEntriesTable,
  type FeedsTable,
  type WatchlistRulesTable,
} from './feeds.tables.js';

export type FeedRow = Selectable<FeedsTable>;
export type RuleRow = Selectable<WatchlistRulesTable>;
export type EntryRow = Selectable<FeedEntriesTable>;

/** What a poll's claim hands the poll: the row as it was taken, with the new fencing token. */
export type ClaimedFeed = Pick<
  FeedRow,
  | 'id'
  | 'url'
  | 'allow_private'
  | 'etag'
  | 'last_modified'
  | 'interval_minutes'
  | 'failures'
  | 'lease_token'
>;

/** Feed, watchlist and entry SQL, one operation per function; `db` is the handle's or a transaction's. */
export function createFeedsRepository(root: Db) {
  const f = (db: Db) => feedDb(db);
  return {
    async insertFeed(row: Insertable<FeedsTable>, db: Db = root): Promise<void> {
      await f(db).insertInto('feeds').values(row).execute();
    },
    getFeed(id: string, db: Db = root): Promise<FeedRow | undefined> {
      return f(db).selectFrom('feeds').selectAll().where('id', '=', id).executeTakeFirst();
    },
    listFeeds(db: Db = root): Promise<FeedRow[]> {
      return f(db).selectFrom('feeds').selectAll().orderBy('created_at').orderBy('id').execute();
    },
    /** 0 rows: no such feed. */
    async updateFeed(id: string, patch: Updateable<FeedsTable>, db: Db = root): Promise<number> {
      const r = await f(db).updateTable('feeds').set(patch).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    /** Its entries go with it (foreign key, cascade). 0 rows: no such feed. */
    async deleteFeed(id: string, db: Db = root): Promise<number> {
      const r = await f(db).deleteFrom('feeds').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    /** Enabled feeds due at `now` that no poll holds, most overdue first. */
    async dueFeeds(now: number, limit: number, db: Db = root): Promise<string[]> {
      const rows = await f(db)
        .selectFrom('feeds')
        .select('id')
        .where('enabled', '=', 1)
        .where('next_poll_at', '<=', now)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('next_poll_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    /** The soonest next_poll_at of an enabled feed, or null when there is none. */
    async nextDueAt(db: Db = root): Promise<number | null> {
      const row = await f(db)
        .selectFrom('feeds')
        .select((eb) => eb.fn.min('next_poll_at').as('at'))
        .where('enabled', '=', 1)
        .executeTakeFirst();
      return row?.at == null ? null : Number(row.at);
    },

    /**
     * Takes the feed for one poll: a conditional UPDATE that only one process can win while the
     * lease lasts (with `dueOnly`, only while the feed is due, so a poll that just finished in
     * another process, moving next_poll_at on, is not repeated here). undefined: not taken (polled
     * elsewhere, not due, or no such feed). The token fences the poll's result (finishPoll).
     */
    claim(
      id: string,
      claim: { owner: string; now: number; until: number; dueOnly: boolean },
      db: Db = root,
    ): Promise<ClaimedFeed | undefined> {
      let q = f(db)
        .updateTable('feeds')
        .set((eb) => ({
          lease_owner: claim.owner,
          lease_until: claim.until,
          lease_token: eb('lease_token', '+', 1),
        }))
        .where('id', '=', id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', claim.now)]));
      if (claim.dueOnly) q = q.where('enabled', '=', 1).where('next_poll_at', '<=', claim.now);
      return q
        .returning([
          'id',
          'url',
          'allow_private',
          'etag',
          'last_modified',
          'interval_minutes',
          'failures',
          'lease_token',
        ])
        .executeTakeFirst();
    },

    /** A poll's result, written only while its lease token holds: 0 rows = lost to another process. */
    async finishPoll(
      id: string,
      token: number,
      patch: Updateable<FeedsTable>,
      db: Db = root,
    ): Promise<number> {
      const r = await f(db)
        .updateTable('feeds')
        .set({ ...patch, lease_owner: null, lease_until: null })
        .where('id', '=', id)
        .where('lease_token', '=', token)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    /** At start: polls this process held when it stopped are over (it crashed or was killed). */
    async releaseOwnLeases(owner: string, db: Db = root): Promise<void> {
      await f(db)
        .updateTable('feeds')
        .set({ lease_owner: null, lease_until: null })
        .where('lease_owner', '=', owner)
        .execute();
    },

    async insertRule(row: Insertable<WatchlistRulesTable>, db: Db = root): Promise<void> {
      await f(db).insertInto('watchlist_rules').values(row).execute();
    },
    getRule(id: string, db: Db = root): Promise<RuleRow | undefined> {
      return f(db)
        .selectFrom('watchlist_rules')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
    },
    listRules(db: Db = root): Promise<RuleRow[]> {
      return f(db)
        .selectFrom('watchlist_rules')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },
    async updateRule(
      id: string,
      patch: Updateable<WatchlistRulesTable>,
      db: Db = root,
    ): Promise<number> {
      const r = await f(db)
        .updateTable('watchlist_rules')
        .set(patch)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
    async deleteRule(id: string, db: Db = root): Promise<number> {
      const r = await f(db).deleteFrom('watchlist_rules').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    /**
     * Records entries once each: an entry this feed has shown before (same id hash) is left as it
     * is. Returns the ids of the rows inserted (the new entries).
     */
    async insertEntries(rows: Insertable<FeedEntriesTable>[], db: Db = root): Promise<string[]> {
      if (rows.length === 0) return [];
      const inserted = await f(db)
        .insertInto('feed_entries')
        .values(rows)
        .onConflict((oc) => oc.columns(['feed_id', 'entry_hash']).doNothing())
        .returning('id')
        .execute();
      return inserted.map((r) => r.id);
    },

    /** A feed's entries, newest first; `before` is the last row of the previous page. */
    listEntries(
      feedId: string,
      limit: number,
      before: { seenAt: number; id: string } | undefined,
      db: Db = root,
    ): Promise<EntryRow[]> {
      let q = f(db).selectFrom('feed_entries').selectAll().where('feed_id', '=', feedId);
      if (before)
        q = q.where((eb) =>
          eb.or([
            eb('seen_at', '<', before.seenAt),
            eb.and([eb('seen_at', '=', before.seenAt), eb('id', '<', before.id)]),
          ]),
        );
      return q.orderBy('seen_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },

    /** Matches still to be accepted that nobody holds and whose retry time has come, oldest first. */
    async pendingEntries(now: number, limit: number, db: Db = root): Promise<string[]> {
      const rows = await f(db)
        .selectFrom('feed_entries')
        .select('id')
        .where('outcome', '=', 'pending')
        .where((eb) => eb.or([eb('claim_until', 'is', null), eb('claim_until', '<', now)]))
        .orderBy('seen_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    /** Takes a pending match for its accept; undefined: taken elsewhere, or no longer pending. */
    claimEntry(
      id: string,
      claim: { owner: string; now: number; until: number },
      db: Db = root,
    ): Promise<EntryRow | undefined> {
      return f(db)
        .updateTable('feed_entries')
        .set((eb) => ({
          claim_owner: claim.owner,
          claim_until: claim.until,
          attempts: eb('attempts', '+', 1),
        }))
        .where('id', '=', id)
        .where('outcome', '=', 'pending')
        .where((eb) => eb.or([eb('claim_until', 'is', null), eb('claim_until', '<', claim.now)]))
        .returningAll()
        .executeTakeFirst();
    },

    /** The accept's result, written only by the claim's holder: 0 rows = the claim was lost. */
    async finishEntry(
      id: string,
      owner: string,
      patch: Updateable<FeedEntriesTable>,
      db: Db = root,
    ): Promise<number> {
      const r = await f(db)
        .updateTable('feed_entries')
        .set(patch)
        .where('id', '=', id)
        .where('claim_owner', '=', owner)
        .where('outcome', '=', 'pending')
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },

    /** At start: accepts this process held when it stopped are taken up again at once. */
    async releaseOwnClaims(owner: string, db: Db = root): Promise<void> {
      await f(db)
        .updateTable('feed_entries')
        .set({ claim_owner: null, claim_until: null })
        .where('claim_owner', '=', owner)
        .where('outcome', '=', 'pending')
        .execute();
    },

    /** Albums of this artist (any case) already asked for: what the library or queue has. */
    albumsOf(artist: string, db: Db = root): Promise<{ id: string; album: string }[]> {
      return f(db)
        .selectFrom('albums')
        .select(['id', 'album'])
        .where((eb) => eb(eb.fn('lower', ['artist']), '=', artist.toLowerCase()))
        .limit(500)
        .execute();
    },

    /** A completed download of this track (its dedupe key): the library has it. */
    async completedTrack(dedupeKey: string, db: Db = root): Promise<string | undefined> {
      const row = await f(db)
        .selectFrom('downloads')
        .select('id')
        .where('dedupe_key', '=', dedupeKey)
        .where('status', '=', 'completed')
        .limit(1)
        .executeTakeFirst();
      return row?.id;
    },
  };
}

export type FeedsRepository = ReturnType<typeof createFeedsRepository>;
