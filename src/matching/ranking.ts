import type { Candidate } from '../providers/provider.js';
import { normalizeForMatch, stripDecorations } from './query.js';
import {
  DEFAULT_QUALITY_POLICY,
  extensionOf,
  isLossless,
  qualityTier,
  type QualityPolicy,
} from './quality-policy.js';

export { DEFAULT_QUALITY_POLICY, type QualityPolicy } from './quality-policy.js';

/**
 * Ranking of search results for one wanted track. Pure: the same target and candidates always give
 * the same result, in the same order, whatever order the candidates came in.
 *
 * Order of concerns: a candidate must first be acceptable (audio, right length, right title and
 * artist, not an unrequested variant, not blocked); acceptable ones are ordered by format quality
 * tier first, then by how soon and how reliably the peer will deliver. Tiers are 1,000 points apart
 * and everything else is bounded well inside ±500, so convenience never beats quality.
 */

export interface TrackTarget {
  artist: string;
  title: string;
  album?: string | null;
  durationSeconds?: number | null;
}

/** A peer's track record with us, used as a mild ranking factor. */
export interface PeerRecord {
  successes: number;
  failures: number;
}

export interface RankedCandidate {
  candidate: Candidate;
  score: number;
  /** Short human-readable notes on why it scored so, e.g. ["flac", "free slot", "album matches"]. */
  notes: string[];
}

export interface RejectedCandidate {
  candidate: Candidate;
  /** Short readable reason, e.g. "remix, not requested". */
  reason: string;
}

export interface RankingResult {
  ranked: RankedCandidate[];
  rejected: RejectedCandidate[];
}

export interface RankingOptions {
  policy?: QualityPolicy;
  isBlocked?: (candidate: Candidate) => boolean;
  peerRecord?: (username: string) => PeerRecord | undefined;
}

const TIER_WEIGHT = 1000;

/** Versions of a recording that are not the recording, as words of normalized text. */
const VARIANTS: { name: string; pattern: RegExp }[] = [
  { name: 'remix', pattern: /(?<![^ ])(?:remix|remixes|remixed|rmx)(?![^ ])/g },
  { name: 'live', pattern: /(?<![^ ])live(?![^ ])/g },
  { name: 'karaoke', pattern: /(?<![^ ])karaoke(?![^ ])/g },
  { name: 'instrumental', pattern: /(?<![^ ])instrumentals?(?![^ ])/g },
  {
    name: 'acapella',
    pattern: /(?<![^ ])(?:acapellas?|acappellas?|a cappella|a capella)(?![^ ])/g,
  },
  { name: 'cover', pattern: /(?<![^ ])covers?(?![^ ])/g },
  { name: 'edit', pattern: /(?<![^ ])edit(?![^ ])/g },
  { name: 'demo', pattern: /(?<![^ ])demos?(?![^ ])/g },
  { name: 'sped up', pattern: /(?<![^ ])(?:sped up|speed up|spedup)(?![^ ])/g },
  { name: 'slowed', pattern: /(?<![^ ])slowed(?![^ ])/g },
  { name: 'nightcore', pattern: /(?<![^ ])nightcore(?![^ ])/g },
];

/** Peer-reported numbers can be anything; NaN would make the sort order arbitrary. */
function nonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** Whether normalized `needle` occurs in normalized `haystack` as whole words. */
function containsPhrase(haystack: string, needle: string): boolean {
  if (` ${haystack} `.includes(` ${needle} `)) return true;
  // "AC/DC" vs "ACDC", "Daft Punk" vs "DaftPunk": only for multi-word needles, so a one-word artist
  // like "Air" does not match inside "Fair".
  return needle.includes(' ') && haystack.replace(/ /g, '').includes(needle.replace(/ /g, ''));
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((value) => value.length > 0))];
}

/** Forms of the artist a folder or file name may use. */
function artistForms(artist: string): string[] {
  const full = normalizeForMatch(artist);
  const core = normalizeForMatch(stripDecorations(artist));
  // The first credited artist of "A, B", "A & B", "A x B", "A feat. B" …
  const primary = normalizeForMatch(
    artist.split(/\s*(?:[,;/]|\s&\s|\s(?:x|and|with|vs\.?|feat\.?|ft\.?|featuring)\s)\s*/i)[0] ??
      '',
  );
  const forms = [full, core, primary].flatMap((form) => [form, form.replace(/^the /, '')]);
  return unique(forms).filter((form) => form.replace(/ /g, '').length >= 2 || form === full);
}

interface PreparedTarget {
  titleForms: string[];
  /** Normalized title, where a requested variant ("Song (Live)") shows. */
  title: string;
  artistForms: string[];
  album: string;
  allowanceText: string;
  folderAllowanceText: string;
  durationSeconds: number | null;
}

function prepare(target: TrackTarget): PreparedTarget {
  const title = normalizeForMatch(target.title);
  const titleCore = normalizeForMatch(stripDecorations(target.title));
  const album = normalizeForMatch(stripDecorations(target.album ?? ''));
  const artist = normalizeForMatch(target.artist);
  const duration = target.durationSeconds;
  return {
    titleForms: unique([title, titleCore]),
    title,
    artistForms: artistForms(target.artist),
    album,
    // Variant words the request itself contains are allowed that many times.
    allowanceText: `${title} ${artist}`,
    folderAllowanceText: `${title} ${artist} ${normalizeForMatch(target.album ?? '')}`,
    durationSeconds: duration !== null && duration !== undefined && duration > 0 ? duration : null,
  };
}

interface Evaluation {
  reason?: string;
  score: number;
  notes: string[];
}

function evaluate(
  target: PreparedTarget,
  candidate: Candidate,
  policy: QualityPolicy,
  options: RankingOptions,
  records: Map<string, PeerRecord | undefined>,
): Evaluation {
  const reject = (reason: string): Evaluation => ({ reason, score: 0, notes: [] });
  if (options.isBlocked?.(candidate)) return reject('blocked source');

  const extension = extensionOf(candidate.filename);
  if (!policy.allowedExtensions.includes(extension)) {
    return reject(
      extension ? `not an audio file (.${extension})` : 'not an audio file (no extension)',
    );
  }
  if (!(candidate.size > 0)) return reject('empty file');
  const kbps = candidate.bitRate;
  if (!isLossless(extension) && kbps !== undefined && kbps > 0 && kbps < policy.minBitrateKbps) {
    return reject(`bitrate ${kbps} kbps, minimum ${policy.minBitrateKbps}`);
  }

  const length = candidate.lengthSeconds;
  if (target.durationSeconds !== null && length !== undefined && length > 0) {
    const tolerance = policy.durationToleranceSeconds;
    if (Math.abs(length - target.durationSeconds) > tolerance) {
      return reject(
        `duration ${Math.round(length)} s, expected ${Math.round(target.durationSeconds)} s ± ${tolerance}`,
      );
    }
  }

  const parts = candidate.filename.split(/[\\/]/).filter((part) => part.length > 0);
  const baseName = parts[parts.length - 1] ?? '';
  const dot = baseName.lastIndexOf('.');
  const stem = normalizeForMatch(dot > 0 ? baseName.slice(0, dot) : baseName);
  const folderNames = parts.slice(0, -1).map(normalizeForMatch);
  const folders = folderNames.join(' ');
  const wholePath = `${folders} ${stem}`;

  if (target.titleForms.length > 0 && !target.titleForms.some((t) => containsPhrase(stem, t))) {
    return reject('title not in file name');
  }
  if (
    target.artistForms.length > 0 &&
    !target.artistForms.some((a) => containsPhrase(wholePath, a))
  ) {
    return reject('artist not in path');
  }
  if (policy.rejectVariants) {
    for (const variant of VARIANTS) {
      if (
        count(stem, variant.pattern) > count(target.allowanceText, variant.pattern) ||
        // Folder by folder: "Live\Live - Throwing Copper" is the band Live twice, not a live album.
        folderNames.some(
          (folder) =>
            count(folder, variant.pattern) > count(target.folderAllowanceText, variant.pattern),
        )
      ) {
        return reject(`${variant.name}, not requested`);
      }
      // A requested variant ("Song (Live)") is not satisfied by the studio "Song".
      if (count(target.title, variant.pattern) > 0 && count(wholePath, variant.pattern) === 0) {
        return reject(`not the requested ${variant.name} version`);
      }
    }
  }

  const tier = qualityTier(candidate, extension);
  const notes = [tier.label];
  let within = 0;

  if (candidate.hasFreeUploadSlot) {
    within += 200;
    notes.push('free slot');
  } else {
    notes.push(`queue ${nonNegative(candidate.queueLength)}`);
  }
  within -= Math.min(nonNegative(candidate.queueLength), 100) * 2;

  const speed = nonNegative(candidate.uploadSpeed);
  within += Math.min(100, 25 * Math.log10(1 + speed / 10_240));
  if (speed > 0) notes.push(`${Math.round(speed / 1024)} KB/s`);

  if (!records.has(candidate.username)) {
    records.set(candidate.username, options.peerRecord?.(candidate.username));
  }
  const record = records.get(candidate.username);
  const successes = nonNegative(record?.successes);
  const total = successes + nonNegative(record?.failures);
  if (total > 0) {
    // Laplace-smoothed success rate, trusted fully only after five transfers.
    const rate = (successes + 1) / (total + 2);
    within += (rate - 0.5) * 100 * Math.min(1, total / 5);
    notes.push(`peer ${successes}/${total} ok`);
  }

  if (target.album && containsPhrase(wholePath, target.album)) {
    within += 40;
    notes.push('album matches');
  }
  if (isExactName(stem, target)) {
    within += 30;
    notes.push('exact name');
  }

  return { score: tier.tier * TIER_WEIGHT + Math.round(within * 10) / 10, notes };
}

/** File named just "[NN] [Artist -] Title", nothing else. */
function isExactName(stem: string, target: PreparedTarget): boolean {
  let rest = stem.replace(/^(?:[a-d]?\d{1,3} )+/, '');
  const artist = target.artistForms.find((form) => rest.startsWith(`${form} `));
  if (artist) rest = rest.slice(artist.length + 1).replace(/^(?:\d{1,3} )+/, '');
  return target.titleForms.includes(rest);
}

/** Total order used for ties: by username, then file name, then every other field. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.username !== b.username) return a.username < b.username ? -1 : 1;
  if (a.filename !== b.filename) return a.filename < b.filename ? -1 : 1;
  const ka = canonicalKey(a);
  const kb = canonicalKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function canonicalKey(candidate: Candidate): string {
  const entries = Object.entries(candidate).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify(entries);
}

export function rankCandidates(
  target: TrackTarget,
  candidates: Candidate[],
  options: RankingOptions = {},
): RankingResult {
  const policy = options.policy ?? DEFAULT_QUALITY_POLICY;
  const prepared = prepare(target);
  const records = new Map<string, PeerRecord | undefined>();
  const ranked: RankedCandidate[] = [];
  const rejected: RejectedCandidate[] = [];

  for (const candidate of candidates) {
    const result = evaluate(prepared, candidate, policy, options, records);
    if (result.reason !== undefined) rejected.push({ candidate, reason: result.reason });
    else ranked.push({ candidate, score: result.score, notes: result.notes });
  }

  ranked.sort((a, b) => b.score - a.score || compareCandidates(a.candidate, b.candidate));
  rejected.sort((a, b) => compareCandidates(a.candidate, b.candidate));
  return { ranked, rejected };
}
