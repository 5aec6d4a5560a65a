import type { Db } from '../db/database.js';
import type { AlbumTrackHook } from '../downloads/download.job.js';
import type { DownloadRow } from '../downloads/download.repository.js';
import type { LoggedEventInput } from '../events/event-log.js';
import { albumStatus, countTracks } from './album-status.js';
import { toAlbumDto } from './albums.dto.js';
import type { AlbumsRepository } from './albums.repository.js';

/**
 * The albums side of a worker write (download.job.ts calls it inside the write's transaction when
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
  return {
    async trackChanged(tx: Db, row: DownloadRow): Promise<LoggedEventInput[]> {
      if (!row.album_id) return [];
      const t = now();
      const completing = row.status === 'completed';
      const album = completing
        ? await repo.lock(row.album_id, t, tx)
        : await repo.get(row.album_id, tx);
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
      return [{ type: 'album.updated', payload: toAlbumDto(album, counts) }];
    },
  };
}
