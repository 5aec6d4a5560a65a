import { sourceKey, type Candidate, type ProviderId } from '../providers/release.js';
import { memoNormalize } from './normalize.js';
import { matchNames, prepareTarget, type PreparedTarget, type TrackTarget } from './track-match.js';
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

export type { TrackTarget } from './track-match.js';

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
  /** A source's record, by its name within its provider (release.ts: records are per source). */
  peerRecord?: (username: string, provider: ProviderId) => PeerRecord | undefined;
}

const TIER_WEIGHT = 1000;

/** Peer-reported numbers can be anything; NaN would make the sort order arbitrary. */
function nonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
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
  normalize: (text: string) => string,
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

  const names = matchNames(target, candidate, policy.rejectVariants, normalize);
  if (names.reason !== undefined) return reject(names.reason);

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

  const source = sourceKey(candidate);
  if (!records.has(source)) {
    records.set(source, options.peerRecord?.(candidate.username, candidate.provider));
  }
  const record = records.get(source);
  const successes = nonNegative(record?.successes);
  const total = successes + nonNegative(record?.failures);
  if (total > 0) {
    // Laplace-smoothed success rate, trusted fully only after five transfers.
    const rate = (successes + 1) / (total + 2);
    within += (rate - 0.5) * 100 * Math.min(1, total / 5);
    notes.push(`peer ${successes}/${total} ok`);
  }

  if (names.albumMatches) {
    within += 40;
    notes.push('album matches');
  }
  if (names.exactName) {
    within += 30;
    notes.push('exact name');
  }

  return { score: tier.tier * TIER_WEIGHT + Math.round(within * 10) / 10, notes };
}

/** Total order used for ties: by provider, username, then file name, then every other field. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
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
  const prepared = prepareTarget(target);
  const records = new Map<string, PeerRecord | undefined>();
  const normalize = memoNormalize();
  const ranked: RankedCandidate[] = [];
  const rejected: RejectedCandidate[] = [];

  for (const candidate of candidates) {
    const result = evaluate(prepared, candidate, policy, options, records, normalize);
    if (result.reason !== undefined) rejected.push({ candidate, reason: result.reason });
    else ranked.push({ candidate, score: result.score, notes: result.notes });
  }

  ranked.sort((a, b) => b.score - a.score || compareCandidates(a.candidate, b.candidate));
  rejected.sort((a, b) => compareCandidates(a.candidate, b.candidate));
  return { ranked, rejected };
}
