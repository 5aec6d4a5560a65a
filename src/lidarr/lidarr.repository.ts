import type { Selectable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';

/** Migration 027's tables (the Lidarr feature's own; docs/schema.sql has them). */
export type LidarrGrabsTable = {
  nzo_id: string;
  nzb_key: string;
  album_id: string | null;
  title: string;
  category: string;
  priority: number;
  size: number;
  created_at: number;
  removed_at: number | null;
};

export type LidarrWantedTable = {
  lidarr_album_id: number;
  album_id: string | null;
  artist: string;
  title: string;
  state: string;
  error: string | null;
  created_at: number;
  updated_at: number;
};

/** Migration 031: one row per wanted-list sync run, in any process. */
export type LidarrSyncRunsTable = {
  id: string;
  started_at: number;
  finished_at: number | null;
  seen: number;
  queued: number;
  imported: number;
  failed: number;
  error: string | null;
};

type LidarrTables = {
  lidarr_grabs: LidarrGrabsTable;
  lidarr_wanted: LidarrWantedTable;
  lidarr_sync_runs: LidarrSyncRunsTable;
};

export type SyncRunRow = Selectable<LidarrSyncRunsTable>;

export type GrabRow = Selectable<LidarrGrabsTable>;
export type WantedRow = Selectable<LidarrWantedTable>;

/** The wanted-list sync's progress for one Lidarr album (migration 027). */
export type WantedState = 'claimed' | 'queued' | 'imported' | 'failed';

/** Lidarr SQL, one operation per function. */
export function createLidarrRepository(handle: DatabaseHandle) {
  const db = handle.db.withTables<LidarrTables>();
  return {
    /**
     * Claims a grab for an NZB (the insert). 0 rows: that NZB was added before (or is being added
     * by a concurrent request): the caller reads the existing row.
     */
    async claimGrab(row: LidarrGrabsTable): Promise<boolean> {
      const result = await db
        .insertInto('lidarr_grabs')
        .values(row)
        .onConflict((oc) => oc.column('nzb_key').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    grabByKey(nzbKey: string): Promise<GrabRow | undefined> {
      return db
        .selectFrom('lidarr_grabs')
        .selectAll()
        .where('nzb_key', '=', nzbKey)
        .executeTakeFirst();
    },

    /** Sets the album a claimed grab became. 0 rows: the grab is gone (cannot happen but by hand). */
    async setGrabAlbum(nzoId: string, albumId: string, tx?: Db): Promise<void> {
      await (tx ? tx.withTables<LidarrTables>() : db)
        .updateTable('lidarr_grabs')
        .set({ album_id: albumId })
        .where('nzo_id', '=', nzoId)
        .execute();
    },

    /**
     * Drops the claim of an NZB Lidarr removed (queue or history delete), so the same NZB sent
     * again is a new grab. 0 rows: it is live (or another request dropped it first).
     */
    async dropRemovedGrab(nzbKey: string): Promise<void> {
      await db
        .deleteFrom('lidarr_grabs')
        .where('nzb_key', '=', nzbKey)
        .where('removed_at', 'is not', null)
        .execute();
    },

    /**
     * Drops a claim that never got its album (its process stopped mid-addfile), unless it got one
     * meanwhile: the same NZB sent again is then queued afresh.
     */
    async dropUnacceptedGrab(nzoId: string): Promise<void> {
      await db
        .deleteFrom('lidarr_grabs')
        .where('nzo_id', '=', nzoId)
        .where('album_id', 'is', null)
        .execute();
    },

    /** Drops a claim whose album could not be accepted, so the same NZB can be added again. */
    async dropGrab(nzoId: string): Promise<void> {
      await db.deleteFrom('lidarr_grabs').where('nzo_id', '=', nzoId).execute();
    },

    /** Grabs Lidarr has not removed, newest first, in `category` when given. */
    liveGrabs(category: string | undefined, limit: number): Promise<GrabRow[]> {
      let q = db.selectFrom('lidarr_grabs').selectAll().where('removed_at', 'is', null);
      if (category) q = q.where('category', '=', category);
      return q.orderBy('created_at', 'desc').orderBy('nzo_id').limit(limit).execute();
    },

    grabsByIds(nzoIds: readonly string[]): Promise<GrabRow[]> {
      if (nzoIds.length === 0) return Promise.resolve([]);
      return db
        .selectFrom('lidarr_grabs')
        .selectAll()
        .where('nzo_id', 'in', [...nzoIds])
        .where('removed_at', 'is', null)
        .execute();
    },

    /** Marks grabs removed (Lidarr's queue|history delete); returns how many were live. */
    async removeGrabs(nzoIds: readonly string[], now: number): Promise<number> {
      if (nzoIds.length === 0) return 0;
      const result = await db
        .updateTable('lidarr_grabs')
        .set({ removed_at: now })
        .where('nzo_id', 'in', [...nzoIds])
        .where('removed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /**
     * Claims a Lidarr album for the sync (the insert). 0 rows: some sync (here, in another process,
     * before a restart) has it already: it is queued once.
     */
    async claimWanted(row: LidarrWantedTable): Promise<boolean> {
      const result = await db
        .insertInto('lidarr_wanted')
        .values(row)
        .onConflict((oc) => oc.column('lidarr_album_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    /**
     * Takes over a claim left `claimed` since before `olderThan` (its process stopped between the
     * claim and the album): compare-and-set, so one run takes it. false: none such.
     */
    async retakeStaleWanted(lidarrAlbumId: number, olderThan: number, now: number) {
      const result = await db
        .updateTable('lidarr_wanted')
        .set({ updated_at: now })
        .where('lidarr_album_id', '=', lidarrAlbumId)
        .where('state', '=', 'claimed')
        .where('updated_at', '<', olderThan)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Gives a claim back (its album could not be accepted yet): the next sync tries again. */
    async dropWanted(lidarrAlbumId: number): Promise<void> {
      await db
        .deleteFrom('lidarr_wanted')
        .where('lidarr_album_id', '=', lidarrAlbumId)
        .where('state', '=', 'claimed')
        .execute();
    },

    /**
     * Takes a queued album for its import (compare-and-set on `queued`): false when another run
     * (here or in another process) took it first, so Lidarr is asked once.
     */
    async takeForImport(lidarrAlbumId: number, now: number): Promise<boolean> {
      const result = await db
        .updateTable('lidarr_wanted')
        .set({ state: 'imported', updated_at: now })
        .where('lidarr_album_id', '=', lidarrAlbumId)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** Moves one album's sync state on. */
    async setWanted(
      lidarrAlbumId: number,
      patch: { state: WantedState; album_id?: string; error?: string | null },
      now: number,
      tx?: Db,
    ): Promise<void> {
      await (tx ? tx.withTables<LidarrTables>() : db)
        .updateTable('lidarr_wanted')
        .set({ ...patch, updated_at: now })
        .where('lidarr_album_id', '=', lidarrAlbumId)
        .execute();
    },

    /** Every album the sync has seen, newest first (GET /api/lidarr/sync). */
    wanted(limit: number): Promise<WantedRow[]> {
      return db
        .selectFrom('lidarr_wanted')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('lidarr_album_id')
        .limit(limit)
        .execute();
    },

    async insertRun(row: LidarrSyncRunsTable): Promise<void> {
      await db.insertInto('lidarr_sync_runs').values(row).execute();
    },

    /** Writes a run's counts and end. */
    async finishRun(id: string, patch: Omit<LidarrSyncRunsTable, 'id' | 'started_at'>) {
      await db.updateTable('lidarr_sync_runs').set(patch).where('id', '=', id).execute();
    },

    /** The newest run of any process. */
    lastRun(): Promise<SyncRunRow | undefined> {
      return db
        .selectFrom('lidarr_sync_runs')
        .selectAll()
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    /** Drops the runs older than the newest `keep`. */
    async pruneRuns(keep: number): Promise<void> {
      const cut = await db
        .selectFrom('lidarr_sync_runs')
        .select('started_at')
        .orderBy('started_at', 'desc')
        .offset(keep)
        .limit(1)
        .executeTakeFirst();
      if (cut)
        await db
          .deleteFrom('lidarr_sync_runs')
          .where('started_at', '<=', Number(cut.started_at))
          .execute();
    },

    /** The queued albums whose import has not been asked for yet. */
    awaitingImport(): Promise<WantedRow[]> {
      return db
        .selectFrom('lidarr_wanted')
        .selectAll()
        .where('state', '=', 'queued')
        .where('album_id', 'is not', null)
        .execute();
    },
  };
}

export type LidarrRepository = ReturnType<typeof createLidarrRepository>;
