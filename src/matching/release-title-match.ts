import type { Candidate, IndexerRelease } from '../providers/release.js';
import { containsPhrase, normalizeForMatch } from './normalize.js';
import {
  VARIANTS,
  variantMask,
  withoutNames,
  type NameMatch,
  type PreparedTarget,
} from './track-match.js';

/**
 * Whether an indexer's release (a torrent or an NZB known only by its title) holds the wanted
 * track, judged by the title alone. Pure; ranking.ts calls it instead of matchNames for a
 * candidate with `release` set.
 *
 * A release is an album (or a single, an EP), never a track file, so the rules are the folder's:
 * the artist must be in the title; then the album named by the request, or (for a single, or a
 * request without an album) the track's title. Version words count as in a folder name: a "Live
 * at …", "(Remixes)", karaoke or tribute release is rejected unless the request names that
 * version, and a request for a version ("Song (Live)") is not met by a title without its word.
 * Which file of the release is the track is decided later, from its file list (release-files.ts).
 */
export function matchReleaseTitle(
  target: PreparedTarget,
  title: string,
  rejectVariants: boolean,
): NameMatch {
  const text = normalizeForMatch(title);
  for (const keyword of target.keywords) {
    if (!containsPhrase(text, keyword)) return `"${keyword}" not in release title`;
  }
  if (target.artistForms.length > 0 && !target.artistForms.some((a) => containsPhrase(text, a))) {
    return 'artist not in release title';
  }
  const albumMatches = target.album !== '' && containsPhrase(text, target.album);
  const titleMatches = target.titleForms.some((t) => containsPhrase(text, t));
  if (!albumMatches && !titleMatches && target.titleForms.length > 0) {
    return target.album !== ''
      ? 'album or title not in release title'
      : 'title not in release title';
  }
  if (rejectVariants) {
    const rest = withoutNames(text, target);
    const mask = variantMask(rest, target.allowedInFolder);
    if (mask !== 0) {
      const first = VARIANTS.findIndex((_, i) => (mask & (1 << i)) !== 0);
      return `${VARIANTS[first]!.name}, not requested`;
    }
    for (const [i, variant] of VARIANTS.entries()) {
      if (!target.variants[i]!.requested) continue;
      variant.pattern.lastIndex = 0;
      if (!variant.pattern.test(text)) return `not the requested ${variant.name} version`;
    }
  }
  // An exact name is a file's notion; a release is judged by its album (or single) match alone.
  return { albumMatches, exactName: false };
}

/**
 * A release candidate's format: the extension the provider took from its title (release-title.ts)
 * or its category, lower case; '' when neither names one.
 */
export function releaseFormat(candidate: Candidate): string {
  return typeof candidate.extension === 'string' ? candidate.extension.toLowerCase() : '';
}

const DAY_MS = 86_400_000;

/**
 * What a release's own availability adds to its score, within equal quality: more seeders (a
 * torrent with 50 starts fast and finishes; one with 1 may never), and youth (an old Usenet post
 * is likelier to have lost articles; an old torrent to have lost its swarm). Bounded (+100 for
 * seeders, −50 for age) so availability never beats a quality tier. `ageOrigin`: the epoch ms ages
 * are counted from; undefined leaves age out.
 */
export function releaseAvailability(
  release: IndexerRelease,
  ageOrigin: number | undefined,
): { points: number; notes: string[] } {
  let points = 0;
  const notes: string[] = [];
  if (release.protocol === 'torrent') {
    const seeders = finiteNonNegative(release.seeders);
    points += Math.min(100, 30 * Math.log10(1 + seeders));
    notes.push(`${seeders} seeders`);
  } else {
    notes.push('usenet');
  }
  const published = release.publishedAt;
  if (ageOrigin !== undefined && published !== undefined && Number.isFinite(published)) {
    const days = Math.max(0, (ageOrigin - published) / DAY_MS);
    points -= Math.min(50, days / 20);
    notes.push(`${Math.round(days)} d old`);
  }
  return { points, notes };
}

function finiteNonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}
