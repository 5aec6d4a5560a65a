import type { Db } from '../db/database.js';
import { NOT_IN_RELEASE, type ReleaseAttempt } from './album-release.js';

/**
 * What album-release.ts needs to know of an album's other tracks: the releases they fetch from.
 * One SQL operation per function.
 */
export function createAlbumReleaseRepository(db: Db) {
  return {
    /**
     * The release attempts (indexer releases only, not Soulseek files) of the album's tracks other
     * than `downloadId` that say something about their release: open or succeeded (it is used), or
     * failed because the track was not in it. Read outside any transaction: a pick made a moment
     * later is simply not seen (album-release.ts says what then happens). Served by the partial
     * index on downloads (album_id) and the attempts' download_id index; an album has a few
     * dozen tracks at most.
     */
    siblingReleases(albumId: string, downloadId: string): Promise<ReleaseAttempt[]> {
      return db
        .selectFrom('attempts')
        .innerJoin('downloads', 'downloads.id', 'attempts.download_id')
        .select([
          'attempts.provider',
          'attempts.username',
          'attempts.filename',
          'attempts.release',
          'attempts.state',
          'attempts.error_code',
          'attempts.created_at',
        ])
        .where('downloads.album_id', '=', albumId)
        .where('downloads.id', '<>', downloadId)
        .where('attempts.release', 'is not', null)
        .where((eb) =>
          eb.or([
            eb('attempts.state', 'in', ['pending', 'enqueued', 'succeeded']),
            eb('attempts.error_code', '=', NOT_IN_RELEASE),
          ]),
        )
        .orderBy('attempts.created_at', 'asc')
        .orderBy('attempts.id', 'asc')
        .execute();
    },
  };
}

export type AlbumReleaseRepository = ReturnType<typeof createAlbumReleaseRepository>;
