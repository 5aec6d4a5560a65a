import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from '../db/database.js';
import type { AlbumsTable } from '../db/schema.js';
import { DUE_NOW } from '../queue/retry-wake.repository.js';
import type { DownloadRow } from '../downloads/download.repository.js';

export type AlbumRow = Selectable<AlbumsTable>;

/** Album SQL, one operation per function; `db` is the handle's or a transaction's. */
export function createAlbumsRepository(root: Db) {
  return {
    async insert(row: Insertable<AlbumsTable>, db: Db = root): Promise<void> {
      await db.insertInto('albums').values(row).execute();
    },

    get(id: string, db: Db = root): Promise<AlbumRow | undefined> {
      return db.selectFrom('albums').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Newest first; `after` is the last row of the previous page (created_at, id). */
    list(
      limit: number,
      after: { createdAt: number; id: string } | undefined,
      db: Db = root,
    ): Promise<AlbumRow[]> {
      let q = db.selectFrom('albums').selectAll();
      if (after) {
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', after.createdAt),
            eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
          ]),
        );
      }
      return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    },

    /** (album, status, count) of these albums' tracks: one GROUP BY over the partial index. */
    async trackCounts(
      albumIds: readonly string[],
      db: Db = root,
    ): Promise<{ album_id: string; status: string; n: number }[]> {
      if (albumIds.length === 0) return [];
      const rows = await db
        .selectFrom('downloads')
        .select(['album_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('album_id', 'in', [...albumIds])
        .groupBy(['album_id', 'status'])
        .execute();
      return rows.map((r) => ({
        album_id: r.album_id as string,
        status: r.status,
        n: Number(r.n),
      }));
    },

    /** download id → album id, for those of these downloads that are album tracks. */
    async albumIdsOf(
      downloadIds: readonly string[],
      db: Db = root,
    ): Promise<{ id: string; album_id: string }[]> {
      if (downloadIds.length === 0) return [];
      const rows = await db
        .selectFrom('downloads')
        .select(['id', 'album_id'])
        .where('id', 'in', [...downloadIds])
        .where('album_id', 'is not', null)
        .execute();
      return rows.map((r) => ({ id: r.id, album_id: r.album_id as string }));
    },

    /** An album's tracks in disc and track order. */
    tracks(albumId: string, db: Db = root): Promise<DownloadRow[]> {
      return db
        .selectFrom('downloads')
        .selectAll()
        .where('album_id', '=', albumId)
        .orderBy('disc_number')
        .orderBy('track_number')
        .orderBy('created_at')
        .execute();
    },

    /**
     * Makes an existing active download of a requested track one of this album's tracks, only if
     * it belongs to no album yet. 0 rows: it belongs to another album.
     */
    async attachTrack(
      downloadId: string,
      albumId: string,
      t: number,
      db: Db = root,
    ): Promise<boolean> {
      const r = await db
        .updateTable('downloads')
        .set({ album_id: albumId, updated_at: t })
        .where('id', '=', downloadId)
        .where('album_id', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /**
     * Touches the album row: on PostgreSQL this takes its row lock until commit, so two writes that
     * each complete one of the album's last tracks run their "are all tracks in?" count one after
     * the other, the second seeing the first's committed track. undefined: no such album.
     */
    lock(id: string, t: number, db: Db = root): Promise<AlbumRow | undefined> {
      return db
        .updateTable('albums')
        .set({ updated_at: t })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Claims a pending folder search for `owner` until `until`, if nobody holds it: unclaimed,
     * or its claim lapsed (a crashed or stopped process). undefined: taken, or not pending.
     * The claim (owner, until) is the fence of the search's one closing write (finishSearch).
     */
    claimSearch(
      id: string,
      owner: string,
      until: number,
      now: number,
      db: Db = root,
    ): Promise<AlbumRow | undefined> {
      return db
        .updateTable('albums')
        .set({ folder_search_owner: owner, folder_search_until: until })
        .where('id', '=', id)
        .where('folder_search', '=', 'pending')
        .where((eb) =>
          eb.or([eb('folder_search_owner', 'is', null), eb('folder_search_until', '<', now)]),
        )
        .returningAll()
        .executeTakeFirst();
    },

    /** Pending folder searches nobody holds (oldest first): what the recovery takes over. */
    async lapsedSearches(now: number, limit: number, db: Db = root): Promise<string[]> {
      const rows = await db
        .selectFrom('albums')
        .select('id')
        .where('folder_search', '=', 'pending')
        .where((eb) =>
          eb.or([eb('folder_search_owner', 'is', null), eb('folder_search_until', '<', now)]),
        )
        .orderBy('created_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },

    /** A failed folder search (no track list) goes back to pending, unclaimed: anyone takes it. */
    async searchAgain(id: string, t: number, db: Db = root): Promise<boolean> {
      const r = await db
        .updateTable('albums')
        .set({
          folder_search: 'pending',
          folder_search_error: null,
          folder_search_owner: null,
          folder_search_until: null,
          updated_at: t,
        })
        .where('id', '=', id)
        .where('folder_search', '=', 'failed')
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /** At start: this process's claims from its previous run are nobody's (it cannot run twice). */
    async releaseSearches(owner: string, db: Db = root): Promise<void> {
      await db
        .updateTable('albums')
        .set({ folder_search_owner: null, folder_search_until: null })
        .where('folder_search', '=', 'pending')
        .where('folder_search_owner', '=', owner)
        .execute();
    },

    /**
     * Closes a folder search with its outcome, only under the claim it ran with: undefined when
     * the claim was taken over meanwhile (this process was too slow; the other one's result wins).
     */
    finishSearch(
      id: string,
      claim: { owner: string; until: number },
      patch: Updateable<AlbumsTable>,
      db: Db = root,
    ): Promise<AlbumRow | undefined> {
      return db
        .updateTable('albums')
        .set({ ...patch, folder_search_owner: null, folder_search_until: null })
        .where('id', '=', id)
        .where('folder_search', '=', 'pending')
        .where('folder_search_owner', '=', claim.owner)
        .where('folder_search_until', '=', claim.until)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Gives a track held for the folder search its folder file, and makes it due: only while it
     * waits untouched (no candidates, no attempt, no lease: it has not begun searching alone).
     */
    async pinTrack(
      downloadId: string,
      candidates: string,
      t: number,
      db: Db = root,
    ): Promise<boolean> {
      const r = await db
        .updateTable('downloads')
        .set({ candidates, pinned_candidates: candidates, ...DUE_NOW(t), updated_at: t })
        .where('id', '=', downloadId)
        .where('status', '=', 'waiting')
        .where('candidates', 'is', null)
        .where('current_attempt_id', 'is', null)
        .where('lease_owner', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /**
     * The album's tracks still held back for its folder search, due now: waiting untouched (no
     * candidates, no attempt) with a `run_after` to come. A search taken over after a crash
     * releases the hold its first claim set, whatever it was.
     */
    async releaseTracks(albumId: string, t: number, db: Db = root) {
      await db
        .updateTable('downloads')
        .set(DUE_NOW(t))
        .where('album_id', '=', albumId)
        .where('status', '=', 'waiting')
        .where('candidates', 'is', null)
        .where('current_attempt_id', 'is', null)
        .where('run_after', '>', t)
        .execute();
    },

    /** Sets completed_at once; undefined when it was set already (album.completed happened). */
    markCompleted(id: string, t: number, db: Db = root): Promise<AlbumRow | undefined> {
      return db
        .updateTable('albums')
        .set({ completed_at: t, updated_at: t })
        .where('id', '=', id)
        .where('completed_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type AlbumsRepository = ReturnType<typeof createAlbumsRepository>;
