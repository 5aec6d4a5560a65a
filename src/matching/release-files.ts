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
 * in a client's list of the release's files: the same path when the list keeps the document's top
 * folder (every entry is in it), else the same path below it (a client set to create no subfolder lists it so). Which of
 * the two is decided once for the list, so a folder nested in itself ("Top/Top/01.flac") is never
 * taken for its parent's file. null when the list has it in neither form.
 */
export function namedReleaseFile(
  entries: readonly ReleaseEntry[],
  file: string,
): ReleaseFilePick | null {
  const norm = (p: string) => p.replaceAll('\\', '/');
  const wanted = norm(file);
  const cut = wanted.indexOf('/');
  const keepsTop =
    cut < 0 || entries.every((e) => norm(e.path).startsWith(wanted.slice(0, cut + 1)));
  const path = keepsTop ? wanted : wanted.slice(cut + 1);
  const entry = entries.find((e) => norm(e.path) === path);
  return entry ? { entry, score: 0, notes: ['the file the album search chose'] } : null;
}
