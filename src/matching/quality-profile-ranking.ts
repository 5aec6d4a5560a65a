import type { Candidate } from '../providers/provider.js';
import { DEFAULT_QUALITY_POLICY, type QualityPolicy } from './quality-policy.js';
import { orderByCandidate, sortByScore } from './candidate-order.js';
import {
  compileProfile,
  factsOf,
  isRequired,
  type ConditionName,
  type ProfileRules,
  type ScorePart,
} from './quality-profile.js';
import {
  judgeCandidates,
  type RankedCandidate,
  type RankingOptions,
  type RankingResult,
  type RejectedCandidate,
  type TrackTarget,
} from './ranking.js';

/**
 * How a quality profile plugs into the ranking, without changing the ranking.
 *
 * The ranking keeps its own rules (audio files only, title and artist in the path, no unrequested
 * variant, blocklist) and its tiers; the profile adds its conditions on top: a required failure
 * rejects, a preferred failure costs PREFERENCE_WEIGHT per condition. That weight is larger than
 * the whole tier range (tiers 1–7 × 1,000, convenience within ±500), so a file that meets more of
 * what the user asked for always ranks above one that meets less, whatever its tier: a Space Saver
 * user asked for small files, and a FLAC must not win on quality alone. Among files that meet the
 * same preferences, the ranking's order holds unchanged.
 */
export const PREFERENCE_WEIGHT = 10_000;

/**
 * The ranking policy for a profile: only the checks the ranking itself does and the profile must
 * not do twice. Format and bitrate are left wide open (the profile judges them, with its reasons);
 * the duration tolerance is the profile's when it is required, and infinite when merely preferred
 * (the profile then ranks by it instead).
 */
export function policyFor(rules: ProfileRules): QualityPolicy {
  return {
    allowedExtensions: DEFAULT_QUALITY_POLICY.allowedExtensions,
    durationToleranceSeconds: isRequired(rules, 'duration')
      ? rules.durationToleranceSeconds
      : Number.POSITIVE_INFINITY,
    minBitrateKbps: 0,
    rejectVariants: DEFAULT_QUALITY_POLICY.rejectVariants,
  };
}

export interface ProfileRankedCandidate extends RankedCandidate {
  /** The profile's part of the score, before weighting (0 = every preference met). */
  profileParts: ScorePart[];
}

/** A rejection; `conditions` names the profile's conditions that failed (absent: the ranking's own rules). */
export interface ProfileRejectedCandidate extends RejectedCandidate {
  conditions?: ConditionName[];
}

export interface ProfileRankingResult extends RankingResult {
  ranked: ProfileRankedCandidate[];
  rejected: ProfileRejectedCandidate[];
}

function wantedText(target: TrackTarget): string {
  // A free search text's words are asked for too: excludeKeywords lets them through.
  return [target.artist, target.title, target.album ?? '', target.keywords ?? ''].join(' ');
}

/**
 * rankCandidates under a profile. Candidates the ranking rejects keep the ranking's reason (its
 * rules come first); the ones it accepts are then judged by the profile. Same order guarantees as
 * rankCandidates: score, then its total order on candidates. Both lists are put in order once,
 * after the profile has spoken (the ranking's own order would be thrown away).
 */
export function rankWithProfile(
  target: TrackTarget,
  candidates: Candidate[],
  rules: ProfileRules,
  options: Omit<RankingOptions, 'policy'> = {},
): ProfileRankingResult {
  const base = judgeCandidates(target, candidates, { ...options, policy: policyFor(rules) });
  const judge = compileProfile(rules, {
    durationSeconds: target.durationSeconds ?? null,
    text: wantedText(target),
  });
  const ranked: ProfileRankedCandidate[] = [];
  // The ranking's rejections, then the profile's, as plain lists (Judged); the profile's
  // conditions by index, for the few entries made of what the caller keeps.
  const { rejected, reasons } = base;
  const conditions = new Map<number, ConditionName[]>();
  for (const entry of base.ranked) {
    const verdict = judge(factsOf(entry.candidate));
    if (!verdict.accepted) {
      conditions.set(
        rejected.length,
        verdict.rejected.map((r) => r.condition),
      );
      rejected.push(entry.candidate);
      reasons.push(verdict.rejected.map((r) => r.reason).join('; '));
      continue;
    }
    ranked.push({
      candidate: entry.candidate,
      // Rounded as the ranking rounds: a format's place is a fraction, and float noise must not order.
      score: Math.round((entry.score + verdict.score * PREFERENCE_WEIGHT) * 10) / 10,
      notes:
        verdict.parts.length === 0
          ? entry.notes
          : [...entry.notes, ...verdict.parts.map((p) => p.reason)],
      profileParts: verdict.parts,
    });
  }
  return {
    ranked: sortByScore(ranked),
    rejected: orderByCandidate(rejected, options.keepRejected).map((i) => {
      const failed = conditions.get(i);
      const entry: ProfileRejectedCandidate = { candidate: rejected[i]!, reason: reasons[i]! };
      if (failed !== undefined) entry.conditions = failed;
      return entry;
    }),
    rejectedTotal: rejected.length,
  };
}
