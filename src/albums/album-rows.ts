import { newDownloadRow, positionsAt } from '../downloads/accept.js';
import type { Insertable } from 'kysely';
import type { DownloadsTable } from '../db/schema.js';
import type { StoredCandidates } from '../downloads/search.step.js';
import type { Candidate } from '../providers/provider.js';
import type { AlbumTrackWanted, FolderVerdict } from './folder-choice.js';

/** What the album's tracks are made from: the request as the album row keeps it. */
export interface AlbumRequestFacts {
  albumId: string;
  artist: string;
  album: string;
  year: number | null;
  qualityProfileId: string | null;
  /** The indexer each track searches first (albums.preferred_provider); null: none. */
  preferredProvider: string | null;
}

/**
 * One download row per wanted track (not inserted): numbered and ordered, with the disc and
 * track totals the tags and the naming need. `runAfter`: when they are due (held back while the
 * album's folder search runs).
 */
export function trackRows(
  facts: AlbumRequestFacts,
  wanted: readonly AlbumTrackWanted[],
  t: number,
  maxRetries: number,
  runAfter: number,
): Insertable<DownloadsTable>[] {
  const positions = positionsAt(t, wanted.length);
  // Totals for the tags and for naming: with a disc total, disc 1 of a set is filed beside
  // the other discs (multi-disc pattern) instead of in the album folder itself.
  const discTotal = wanted.some((w) => w.discNumber != null)
    ? Math.max(...wanted.map((w) => w.discNumber ?? 1))
    : null;
  const onDisc = (disc: number | null | undefined) =>
    wanted.filter((w) => (w.discNumber ?? 1) === (disc ?? 1)).length;
  return wanted.map((track, i) => ({
    ...newDownloadRow(
      {
        artist: facts.artist,
        title: track.title,
        album: facts.album,
        albumArtist: facts.artist,
        trackNumber: track.trackNumber,
        discNumber: track.discNumber ?? null,
        discTotal,
        trackTotal: onDisc(track.discNumber),
        year: facts.year,
        durationSeconds: track.durationSeconds ?? null,
        qualityProfileId: facts.qualityProfileId,
        provider: facts.preferredProvider,
      },
      t,
      maxRetries,
    ),
    position: positions[i] as string,
    album_id: facts.albumId,
    run_after: runAfter,
  }));
}

/** A track's file in the chosen folder as its only candidate (`pinned`), as JSON for the row. */
export function pinnedCandidates(
  candidate: Candidate,
  folder: FolderVerdict,
  profile: { id: string | null; name: string },
): string {
  const stored: StoredCandidates = {
    query: `album folder ${candidate.username} ${folder.directory}`,
    ...(profile.id ? { profile: { id: profile.id, name: profile.name } } : {}),
    ranked: [{ candidate, score: 0, notes: ['album folder'] }],
    rejected: [],
    rankedTotal: 1,
    rejectedTotal: 0,
    pinned: true,
  };
  return JSON.stringify(stored);
}
