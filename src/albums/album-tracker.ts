import type { Db } from '../db/database.js';
import type { AlbumTrackHook } from '../downloads/download.job.js';
import type { DownloadRow } from '../downloads/download.repository.js';
import type { LoggedEventInput } from '../events/event-log.js';
import { albumStatus, countTracks } from './album-status.js';
import { toAlbumDto } from './albums.dto.js';
import type { AlbumsRepository } from './albums.repository.js';

/**
 * The albums side of a worker write or a command (download.job.ts calls it inside the write's transaction when
 * an album track's status changed): `album.updated` with the counts as of this write, and, when
 * this write completed the album's last track, `album.completed`, once.
 *
 * Once: the album row is locked first (PostgreSQL: two last tracks completing at the same time
 * count one after the other, the second seeing the first), and `completed_at` is set by a
 * conditional UPDATE that only one write can win. A rolled-back write takes its events with it.
 * Costs one read of the album and one GROUP BY of its tracks per status change of a track.
 */
export function createAlbumTracker(deps: {
  repo: AlbumsRepository;
  now: () => number;
}): AlbumTrackHook {
  const { repo, now } = deps;

  /** album.updated for one album as of this transaction, and album.completed if it just is. */
  async function announce(
    tx: Db,
    albumId: string,
    completing: boolean,
    t: number,
  ): Promise<LoggedEventInput[]> {
    const album = completing ? await repo.lock(albumId, t, tx) : await repo.get(albumId, tx);
    if (!album) return [];
    const counts = countTracks(await repo.trackCounts([album.id], tx));
    if (completing && album.completed_at === null && albumStatus(counts) === 'completed') {
      const done = await repo.markCompleted(album.id, t, tx);
      if (done) {
        const dto = toAlbumDto(done, counts);
        return [
          { type: 'album.updated', payload: dto },
          { type: 'album.completed', payload: dto },
        ];
      }
    }
    // Read before the counts, the row may miss a completed_at that the write completing the
    // last track committed in between (PostgreSQL, READ COMMITTED): read it again then.
    const row =
      album.completed_at === null && albumStatus(counts) === 'completed'
        ? ((await repo.get(albumId, tx)) ?? album)
        : album;
    return [{ type: 'album.updated', payload: toAlbumDto(row, counts) }];
  }

  return {
    async trackChanged(tx: Db, row: DownloadRow): Promise<LoggedEventInput[]> {
      if (!row.album_id) return [];
      return announce(tx, row.album_id, row.status === 'completed', now());
    },

    async albumsOf(tx: Db, downloadIds: readonly string[]): Promise<Map<string, string>> {
      return new Map((await repo.albumIdsOf(downloadIds, tx)).map((r) => [r.id, r.album_id]));
    },

    async albumsChanged(tx: Db, albumIds: readonly string[]): Promise<LoggedEventInput[]> {
      const t = now();
      const out: LoggedEventInput[] = [];
      // Any of them may be completed by the change (a remove of its last unfinished track), so
      // each is locked, in id order: two commands over the same albums lock them alike.
      for (const id of [...new Set(albumIds)].sort())
        out.push(...(await announce(tx, id, true, t)));
      return out;
    },
  };
}
