import { qualityTier } from '../matching/quality-policy.js';
import type { Candidate, IndexerRelease, ProviderId } from '../providers/release.js';
import type { ErrorCode } from './error-codes.js';

/*
 * "All tracks of an album from one release, when possible", for release indexers (a torrent, an
 * NZB). Each track of an album is its own download and searches on its own, so nothing would make
 * them agree: a single with more seeders outranks the album torrent for the track it holds, and
 * the album ends up spread over several releases. Here a track follows its siblings (the other
 * downloads of the same album): a release they fetch, or fetched, goes first in its ranking when
 * the ranking accepted it. Pure; the siblings' attempts are read by album-release.repository.ts.
 *
 * It only reorders what the ranking accepted, and only within the best quality tier of it: a
 * release the profile's required conditions rejected, or a blocked one, is not in `ranked` and
 * stays out, and one of a lower tier than the best keeps its place. A release that turned out not to
 * hold this track (`track_not_in_release`) is dropped for this download, in every later round.
 */

/** The error code of a release that does not hold the track (error-codes.ts). */
export const NOT_IN_RELEASE: ErrorCode = 'track_not_in_release';

/** An attempt at a release, as album-release.repository.ts reads it (a sibling's, or this track's). */
export interface ReleaseAttempt {
  provider: ProviderId;
  /** The indexer that listed the release. */
  username: string;
  /** The release title. */
  filename: string;
  /** The candidate's release as the attempt stored it (JSON of an IndexerRelease), or null. */
  release: string | null;
  /** The attempt's state: pending / enqueued (fetching), succeeded, failed, cancelled. */
  state: string;
  error_code: string | null;
  /** Epoch ms the attempt started. */
  created_at: number;
}

/** The stored release's identity fields; null when absent or unreadable (then the title keys it). */
function identityOf(release: IndexerRelease | string | null | undefined): {
  infohash?: string;
  guid?: string;
} | null {
  if (release === null || release === undefined) return null;
  if (typeof release !== 'string') return release;
  try {
    const parsed: unknown = JSON.parse(release);
    return typeof parsed === 'object' && parsed !== null ? (parsed as IndexerRelease) : null;
  } catch {
    return null;
  }
}

/**
 * One release. A title alone is no identity (a re-upload, or an impostor copying the title, has
 * the same one): a torrent is its info-hash, at whichever indexer listed it; else the indexer's
 * guid for the item; only a release with neither is keyed by (provider, indexer, title), as the
 * blocklist keys it.
 */
export function releaseKey(r: {
  provider: ProviderId;
  username: string;
  filename: string;
  release?: IndexerRelease | string | null | undefined;
}): string {
  const id = identityOf(r.release);
  const hash = typeof id?.infohash === 'string' ? id.infohash.toLowerCase() : '';
  if (/^[0-9a-f]{40}$/.test(hash)) return JSON.stringify([r.provider, 'btih', hash]);
  if (typeof id?.guid === 'string' && id.guid !== '')
    return JSON.stringify([r.provider, r.username, 'guid', id.guid]);
  return JSON.stringify([r.provider, r.username, 'title', r.filename]);
}

/** What one sibling attempt says of its release. */
export type ReleaseUse = 'uses' | 'lacks' | 'none';

/**
 * The behaviour as data: a sibling fetching (pending, enqueued) or having fetched (succeeded) its
 * track from a release is one that uses it; one turned away because its track is not there says
 * the release is not the whole album; anything else (failed otherwise, cancelled) says nothing.
 */
export function useOf(a: Pick<ReleaseAttempt, 'state' | 'error_code'>): ReleaseUse {
  if (a.state === 'pending' || a.state === 'enqueued' || a.state === 'succeeded') return 'uses';
  if (a.error_code === NOT_IN_RELEASE) return 'lacks';
  return 'none';
}

/**
 * The releases the siblings use, best first: a release none of them found lacking its track before
 * one that is known to be partial (a single the first track took, say); then the one more of them
 * use; then the one picked first, so when two tracks picked different releases at once, the
 * first pick decides for the tracks after them.
 */
export function albumReleaseOrder(siblings: readonly ReleaseAttempt[]): string[] {
  const byKey = new Map<string, { users: number; lacks: number; first: number }>();
  for (const a of siblings) {
    const use = useOf(a);
    if (use === 'none') continue;
    const key = releaseKey(a);
    const r = byKey.get(key) ?? { users: 0, lacks: 0, first: Number.POSITIVE_INFINITY };
    if (use === 'uses') {
      r.users++;
      r.first = Math.min(r.first, a.created_at);
    } else r.lacks++;
    byKey.set(key, r);
  }
  return [...byKey.entries()]
    .filter(([, r]) => r.users > 0)
    .sort(
      ([, a], [, b]) =>
        Number(a.lacks > 0) - Number(b.lacks > 0) || b.users - a.users || a.first - b.first,
    )
    .map(([key]) => key);
}

/** The releases this download's own attempts found without its track (any round). */
export function lackingReleases(own: readonly ReleaseAttempt[]): Set<string> {
  return new Set(own.filter((a) => useOf(a) === 'lacks').map(releaseKey));
}

const keyOf = (c: Candidate): string | null => (c.release ? releaseKey(c) : null);
const tierOf = (c: Candidate): number => qualityTier(c, c.extension).tier;

export interface AlbumReleaseChoice<T> {
  /** The ranked entries, the album's releases first (in albumReleaseOrder), the rest as ranked. */
  ranked: T[];
  /** The entries moved first. */
  preferred: T[];
  /** Releases this download already found without its track: out of its ranking. */
  dropped: T[];
}

/**
 * Puts the album's releases first among this track's ranked candidates and drops the ones it
 * already found lacking. Entries that are not releases (Soulseek files) keep their place after
 * the preferred ones, as do releases the siblings do not use.
 */
export function followAlbumRelease<T extends { candidate: Candidate }>(
  ranked: readonly T[],
  siblings: readonly ReleaseAttempt[],
  lacking: ReadonlySet<string>,
): AlbumReleaseChoice<T> {
  const dropped: T[] = [];
  const kept: T[] = [];
  for (const entry of ranked) {
    const key = keyOf(entry.candidate);
    (key !== null && lacking.has(key) ? dropped : kept).push(entry);
  }
  const order = albumReleaseOrder(siblings).filter((key) => !lacking.has(key));
  const rank = new Map(order.map((key, i) => [key, i]));
  // Only within the best quality tier of what is left: the album's release is worth a few
  // seeders, never a FLAC given up for an MP3 (transfer.step.ts waits for that tier too).
  const bestTier = kept[0] ? tierOf(kept[0].candidate) : 0;
  const preferred = kept
    .filter((e) => rank.has(keyOf(e.candidate) ?? '') && tierOf(e.candidate) === bestTier)
    .sort((a, b) => rank.get(keyOf(a.candidate)!)! - rank.get(keyOf(b.candidate)!)!);
  const rest = kept.filter((e) => !preferred.includes(e));
  return { ranked: [...preferred, ...rest], preferred, dropped };
}
