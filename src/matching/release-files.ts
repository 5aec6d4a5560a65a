import type { Candidate } from '../providers/release.js';
import { extensionOf } from './quality-policy.js';
import { rankCandidates, type RankingOptions, type TrackTarget } from './ranking.js';

/** One file inside a multi-file release (a torrent's file list, an NZB's files). */
export interface ReleaseEntry {
  /** Path inside the release, with `/` or `\` separators. */
  path: string;
  size: number;
}

export interface ReleaseFilePick {
  entry: ReleaseEntry;
  score: number;
  notes: string[];
}

/**
 * The file of a multi-file release that is the wanted track, or null when none is. Pure. It is the
 * same ranking a Soulseek search answer goes through (remixes, live versions, wrong artists and
 * non-audio files rejected; the album folder and the exact name preferred), so a torrent of an album
 * yields the track, not its "(Remix)" bonus or the cover scan. The release's facts (seeders, an
 * indexer) are the same for every file, so only the names and sizes decide.
 */
export function pickReleaseFile(
  entries: readonly ReleaseEntry[],
  target: TrackTarget,
  options: Pick<RankingOptions, 'policy'> = {},
): ReleaseFilePick | null {
  const byCandidate = new Map<Candidate, ReleaseEntry>();
  const candidates = entries.map((entry) => {
    const candidate: Candidate = {
      provider: 'release',
      username: 'release',
      filename: entry.path.replaceAll('/', '\\'),
      size: entry.size,
      extension: extensionOf(entry.path),
      hasFreeUploadSlot: true,
      queueLength: 0,
      uploadSpeed: 0,
    };
    byCandidate.set(candidate, entry);
    return candidate;
  });
  const [best] = rankCandidates(target, candidates, { ...options, keepRejected: 0 }).ranked;
  if (!best) return null;
  return { entry: byCandidate.get(best.candidate)!, score: best.score, notes: best.notes };
}

/**
 * The file an album search chose (`IndexerRelease.file`, a path as the release document names it)
 * in a client's list of the release's files: the same path, or the same path below its top
 * folder (a client set to create no subfolder lists it so). null when the list has neither.
 */
export function namedReleaseFile(
  entries: readonly ReleaseEntry[],
  file: string,
): ReleaseFilePick | null {
  const norm = (p: string) => p.replaceAll('\\', '/');
  const wanted = norm(file);
  const below = wanted.includes('/') ? wanted.slice(wanted.indexOf('/') + 1) : null;
  const entry =
    entries.find((e) => norm(e.path) === wanted) ??
    (below === null ? undefined : entries.find((e) => norm(e.path) === below));
  return entry ? { entry, score: 0, notes: ['the file the album search chose'] } : null;
}
