import type { Candidate } from '../providers/release.js';
import { followAlbumRelease, lackingReleases, type AlbumReleaseChoice } from './album-release.js';
import { createAlbumReleaseRepository } from './album-release.repository.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow } from './download.repository.js';

/*
 * Where the pipeline asks album-release.ts which release an album track should take: when it
 * ranks (search.step.ts, so the candidates list shows it) and again when it starts a source
 * (transfer.step.ts), since a sibling may have picked in between (candidates searched ahead by
 * the prefetcher were ranked before any sibling picked).
 */

/**
 * An album track's ranking, its siblings' releases first and the releases it already found
 * without its track dropped (album-release.ts). Null when there is nothing to follow: not an album
 * track, or no release among the candidates (a Soulseek search). `own`: this download's attempts,
 * when the caller has read them already.
 */
export async function followSiblings<T extends { candidate: Candidate }>(
  ctx: JobContext,
  ranked: readonly T[],
  own?: readonly AttemptRow[],
): Promise<AlbumReleaseChoice<T> | null> {
  const albumId = ctx.row.album_id;
  if (!albumId || !ranked.some((r) => r.candidate.release)) return null;
  const [siblings, mine] = await Promise.all([
    createAlbumReleaseRepository(ctx.deps.handle.db).siblingReleases(albumId, ctx.row.id),
    own ?? ctx.deps.repo.attemptsFor([ctx.row.id]),
  ]);
  return followAlbumRelease(ranked, siblings, lackingReleases(mine));
}
