import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../db/database.js';
import type { AlbumsTable } from '../db/schema.js';
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
