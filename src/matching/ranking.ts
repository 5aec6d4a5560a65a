import type { Candidate, ProviderId } from '../providers/release.js';
import { orderByCandidate, sortByScore } from './candidate-order.js';
import { createFolderMemo, type FolderMemo } from './folder-facts.js';
import { matchReleaseTitle, releaseAvailability, releaseFormat } from './release-title-match.js';
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
  /** In compareCandidates order; only the first `keepRejected` when the options say so. */
  rejected: RejectedCandidate[];
  /** How many were rejected, whether or not all are in `rejected`. */
  rejectedTotal: number;
}

export interface RankingOptions {
  policy?: QualityPolicy;
  isBlocked?: (candidate: Candidate) => boolean;
  /** A source's record, by its name within its provider (release.ts: records are per source). */
  peerRecord?: (username: string, provider: ProviderId) => PeerRecord | undefined;
  /**
   * Return only the first this many rejections (in order), as a caller that stores a few
   * (the search step keeps 200) wants: putting all of 20,000 in order would be a fifth of the
   * ranking's time. `rejectedTotal` counts them all. Default: all.
   */
  keepRejected?: number;
  /**
   * Epoch ms that indexer releases' ages are counted from (a younger release is preferred within
   * equal quality). Default: the newest release among the candidates, so the ranking stays pure.
   */
  now?: number;
}

const TIER_WEIGHT = 1000;

/** Peer-reported numbers can be anything; NaN would make the sort order arbitrary. */
function nonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * One candidate's verdict: a rejection reason, or its score and notes. Pure. The cheap checks
 * (blocklist, extension, size, bitrate, duration) come before any text is read, and most
 * rejections are one of their fixed reasons.
 */
function evaluate(judge: Judge, candidate: Candidate): string | { score: number; notes: string[] } {
  const { target, policy, options } = judge;
  if (options.isBlocked?.(candidate)) return 'blocked source';

  const release = candidate.release;
  // An indexer release is known by its title: its format is what the title names (the provider
  // put it in `extension`), and one it does not name is judged as unknown, not as "not audio".
  const extension = release ? releaseFormat(candidate) : extensionOf(candidate.filename);
  if (!judge.audio.has(extension) && !(release && extension === '')) {
    return notAudio(judge, extension);
  }
  if (!(candidate.size > 0)) return release ? 'release size unknown' : 'empty file';
  const kbps = candidate.bitRate;
  if (!isLossless(extension) && kbps !== undefined && kbps > 0 && kbps < policy.minBitrateKbps) {
    return `bitrate ${kbps} kbps, minimum ${policy.minBitrateKbps}`;
  }

  const length = candidate.lengthSeconds;
  if (target.durationSeconds !== null && length !== undefined && length > 0) {
    const tolerance = policy.durationToleranceSeconds;
    if (Math.abs(length - target.durationSeconds) > tolerance) return durationReason(judge, length);
  }

  const names = release
    ? matchReleaseTitle(target, release.title, policy.rejectVariants)
    : matchNames(target, candidate, policy.rejectVariants, judge.folders);
  if (typeof names === 'string') return names;

  const tier =
    release && extension === ''
      ? { tier: 2, label: 'format unknown' }
      : qualityTier(candidate, extension);
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
  if (release) {
    const availability = releaseAvailability(release, judge.ageOrigin);
    within += availability.points;
    notes.push(...availability.notes);
  }

  const record = peerRecordOf(judge, candidate);
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

/**
 * The candidate's source's record, asked of the caller once per source and ranking. Keyed by
 * provider, then username (a source: release.ts), in two maps rather than by sourceKey's JSON
 * text, which would be a new string and a stringify for every ranked file.
 */
function peerRecordOf(judge: Judge, candidate: Candidate): PeerRecord | undefined {
  let ofProvider = judge.records.get(candidate.provider);
  if (ofProvider === undefined) {
    ofProvider = new Map();
    judge.records.set(candidate.provider, ofProvider);
  }
  const username = candidate.username;
  if (ofProvider.has(username)) return ofProvider.get(username);
  const record = judge.options.peerRecord?.(username, candidate.provider);
  ofProvider.set(username, record);
  return record;
}

/** "duration 258 s, expected 264 s ± 5", one string per reported length of the ranking. */
function durationReason(judge: Judge, length: number): string {
  let reason = judge.durationReasons.get(length);
  if (reason === undefined) {
    const wanted = judge.target.durationSeconds ?? 0;
    reason = `duration ${Math.round(length)} s, expected ${Math.round(wanted)} s ± ${judge.policy.durationToleranceSeconds}`;
    judge.durationReasons.set(length, reason);
  }
  return reason;
}

/** "not an audio file (.jpg)", one string per extension of the ranking. */
function notAudio(judge: Judge, extension: string): string {
  let reason = judge.notAudio.get(extension);
  if (reason === undefined) {
    reason = extension ? `not an audio file (.${extension})` : 'not an audio file (no extension)';
    judge.notAudio.set(extension, reason);
  }
  return reason;
}

/** What one ranking works with: the request prepared once, and what it learns on the way. */
interface Judge {
  target: PreparedTarget;
  policy: QualityPolicy;
  options: RankingOptions;
  audio: ReadonlySet<string>;
  folders: FolderMemo;
  /** Peer records asked so far, by provider and username (peerRecordOf). */
  records: Map<ProviderId, Map<string, PeerRecord | undefined>>;
  notAudio: Map<string, string>;
  durationReasons: Map<number, string>;
  /** Epoch ms release ages are counted from (RankingOptions.now), or undefined: ages unscored. */
  ageOrigin: number | undefined;
}

export { compareCandidates } from './candidate-order.js';

/**
 * What judgeCandidates found: the ranked entries, and the rejected candidates with their reasons
 * as two lists, index for index. Not one entry object per rejection: a search's 20,000 of them
 * would all live to the end of the ranking (garbage the collector copies), and a caller keeps a
 * few hundred (keptRejections makes the entries of those).
 */
export interface Judged {
  ranked: RankedCandidate[];
  rejected: Candidate[];
  reasons: string[];
}

/**
 * Every candidate judged, in input order: the ranked ones (score, notes) and the rejected ones
 * (reason). rankCandidates puts them in order; rankWithProfile first applies a profile.
 */
export function judgeCandidates(
  target: TrackTarget,
  candidates: readonly Candidate[],
  options: RankingOptions = {},
): Judged {
  const policy = options.policy ?? DEFAULT_QUALITY_POLICY;
  const prepared = prepareTarget(target);
  const judge: Judge = {
    target: prepared,
    policy,
    options,
    audio: new Set(policy.allowedExtensions),
    folders: createFolderMemo(prepared),
    records: new Map(),
    notAudio: new Map(),
    durationReasons: new Map(),
    ageOrigin: options.now ?? newestRelease(candidates),
  };
  const ranked: RankedCandidate[] = [];
  const rejected: Candidate[] = [];
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const result = evaluate(judge, candidate);
    if (typeof result === 'string') {
      rejected.push(candidate);
      reasons.push(result);
    } else ranked.push({ candidate, score: result.score, notes: result.notes });
  }
  return { ranked, rejected, reasons };
}

/** The entries of the first `keep` rejections in compareCandidates order (all by default). */
export function keptRejections(
  rejected: readonly Candidate[],
  reasons: readonly string[],
  keep?: number,
): RejectedCandidate[] {
  return orderByCandidate(rejected, keep).map((i) => ({
    candidate: rejected[i]!,
    reason: reasons[i]!,
  }));
}

/** The newest publication time among the candidates' releases, or undefined when none has one. */
function newestRelease(candidates: readonly Candidate[]): number | undefined {
  let newest: number | undefined;
  for (const candidate of candidates) {
    const at = candidate.release?.publishedAt;
    if (at !== undefined && Number.isFinite(at) && (newest === undefined || at > newest))
      newest = at;
  }
  return newest;
}

export function rankCandidates(
  target: TrackTarget,
  candidates: Candidate[],
  options: RankingOptions = {},
): RankingResult {
  const { ranked, rejected, reasons } = judgeCandidates(target, candidates, options);
  return {
    ranked: sortByScore(ranked),
    rejected: keptRejections(rejected, reasons, options.keepRejected),
    rejectedTotal: rejected.length,
  };
}
