import type { Candidate } from '../providers/provider.js';
import { normalizeForMatch } from './query.js';
import { DEFAULT_QUALITY_POLICY, extensionOf, isLossless } from './quality-policy.js';

/**
 * Quality profiles: what a user wants a file to be, as data, and the pure evaluation of one
 * candidate against it. No I/O; storage is src/quality-profiles/, ranking's use is
 * quality-profile-ranking.ts.
 *
 * The model is sldl's: every condition of a profile is either **required** (a candidate that fails
 * it is rejected, with the reason) or **preferred** (a candidate that fails it still counts, ranked
 * below the ones that pass, with the reason in its notes). `required` names the conditions that
 * reject; every other active condition is preferred.
 */

/** Formats a profile may name: exactly the extensions the ranking accepts as audio. */
export const AUDIO_FORMATS: readonly string[] = DEFAULT_QUALITY_POLICY.allowedExtensions;

export const CONDITION_NAMES = [
  'format',
  'formatOrder',
  'lossless',
  'bitrate',
  'sampleRate',
  'bitDepth',
  'fileSize',
  'duration',
  'excludeKeywords',
  'excludeUsers',
] as const;

export type ConditionName = (typeof CONDITION_NAMES)[number];

export function isConditionName(value: string): value is ConditionName {
  return (CONDITION_NAMES as readonly string[]).includes(value);
}

/** A quality profile, in the wire shape of issue 8 (bounds are null when not set). */
export interface QualityProfile {
  id: string;
  name: string;
  description: string;
  /** Lower-case extensions in order of preference; empty = any audio format, no order. */
  preferredFormats: string[];
  /** kbps; applies to lossy files only (a lossless file's bitrate measures the music, not quality). */
  minBitrate: number | null;
  maxBitrate: number | null;
  /** Hz. */
  minSampleRate: number | null;
  maxSampleRate: number | null;
  /** Bits per sample; only lossless files report one. */
  minBitDepth: number | null;
  maxBitDepth: number | null;
  /** MB = 1,000,000 bytes, as file managers show sizes. */
  minFileSizeMb: number | null;
  maxFileSizeMb: number | null;
  /** Largest accepted difference between the reported and the wanted length, in seconds. */
  durationToleranceSeconds: number;
  /** Words or phrases; a path containing one (as whole words, after normalization) fails. */
  excludeKeywords: string[];
  /** Sources (Soulseek usernames) whose files fail, compared exactly. */
  excludeUsers: string[];
  /** Rank lossless files above lossy ones (the `lossless` condition, preferred). */
  preferLossless: boolean;
  /**
   * false = lossy files are rejected. The same fact as `required` naming `lossless`: the service
   * keeps the two in step, and evaluation honours either.
   */
  allowLossy: boolean;
  isDefault: boolean;
  /** The conditions that reject; the other active ones rank. */
  required: ConditionName[];
  /**
   * The indexers to search, in order (provider ids, e.g. ["slskd", "usenet-indexer", "jackett"]):
   * the next is searched when one has nothing acceptable, fails or is down. Empty = every
   * configured indexer, in the configured order.
   */
  providers: string[];
}

/** The profile without its identity: what a condition reads. */
export type ProfileRules = Omit<QualityProfile, 'id' | 'name' | 'description' | 'isDefault'>;

/** Neutral facts about one candidate file, whatever the provider. Unknown facts are absent. */
export interface CandidateFacts {
  /** Lower-case extension from the file name ('' when it has none). */
  extension: string;
  /** The remote path, any separators. */
  path: string;
  /** Who offers it: a Soulseek user, later an indexer or tracker. */
  source: string;
  bitrateKbps?: number;
  sampleRateHz?: number;
  bitDepth?: number;
  sizeBytes?: number;
  durationSeconds?: number;
}

/** What was asked for, as far as conditions need it. */
export interface WantedFacts {
  durationSeconds?: number | null;
  /** Artist, title and album of the request: an excluded keyword the request itself names is not held against a file. */
  text?: string;
}

/** A condition's verdict on one candidate: undefined passes (or does not apply). */
export interface ConditionFailure {
  /** Readable, e.g. "bitrate 128 kbps, below 256". */
  reason: string;
  /** Penalty when preferred, in units of one failed condition (default 1). */
  weight?: number;
}

export interface ConditionDef {
  name: ConditionName;
  /** What the condition checks, for documentation and the API's explanations. */
  description: string;
  /** Whether a profile may name it in `required`; preference-only conditions (an order) may not. */
  requiredCapable: boolean;
  /**
   * Whether a candidate that lacks the facts this condition reads passes it. True for every
   * condition here: a peer that reports no bitrate is not thereby a bad source, and the ranking's
   * tiers already put unknown quality low. A condition that would reject unknowns must say so here.
   */
  unknownPasses: boolean;
  /** Whether this profile sets the condition at all (a bound given, a list not empty). */
  active(rules: ProfileRules): boolean;
  check(
    rules: ProfileRules,
    facts: CandidateFacts,
    wanted: WantedFacts,
  ): ConditionFailure | undefined;
  /**
   * `check` with what depends only on the rules and the request worked out once (compileProfile):
   * for a condition whose check would otherwise redo that work for each of thousands of files.
   */
  compile?(
    rules: ProfileRules,
    wanted: WantedFacts,
  ): (facts: CandidateFacts) => ConditionFailure | undefined;
}

const known = (value: number | undefined): value is number =>
  value !== undefined && Number.isFinite(value) && value > 0;

/** "below 256" / "above 320" for a value outside [min, max], else undefined. */
function outside(value: number, min: number | null, max: number | null, unit: string) {
  if (min !== null && value < min) return `below ${min}${unit}`;
  if (max !== null && value > max) return `above ${max}${unit}`;
  return undefined;
}

const bounded = (min: number | null, max: number | null) => min !== null || max !== null;

function phraseIn(haystack: string, needle: string): boolean {
  return needle.length > 0 && ` ${haystack} `.includes(` ${needle} `);
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The excludeKeywords check for one ranking: the keywords and the request's own words normalized
 * once; each file's path is normalized when it is checked.
 */
function excludedKeyword(
  rules: ProfileRules,
  wanted: WantedFacts,
): (facts: CandidateFacts) => ConditionFailure | undefined {
  const asked = normalizeForMatch(wanted.text ?? '');
  const keywords = rules.excludeKeywords.map((keyword) => ({
    keyword,
    normalized: normalizeForMatch(keyword),
  }));
  return (facts) => {
    const path = normalizeForMatch(facts.path.replace(/[\\/]/g, ' '));
    const hit = keywords.find(
      ({ normalized }) => phraseIn(path, normalized) && !phraseIn(asked, normalized),
    );
    return hit === undefined ? undefined : { reason: `excluded keyword "${hit.keyword}"` };
  };
}

/** One row per condition; quality-profile.test.ts checks the rows against the names and each other. */
export const CONDITIONS: Record<ConditionName, ConditionDef> = {
  format: {
    name: 'format',
    description: 'The file is one of preferredFormats.',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => r.preferredFormats.length > 0,
    check: (r, f) =>
      r.preferredFormats.includes(f.extension)
        ? undefined
        : { reason: `format ${f.extension || '(none)'} not in ${r.preferredFormats.join(', ')}` },
  },
  formatOrder: {
    name: 'formatOrder',
    description:
      'Among preferredFormats, an earlier one ranks higher (a fraction of one condition per place).',
    requiredCapable: false,
    unknownPasses: true,
    active: (r) => r.preferredFormats.length > 1,
    check: (r, f) => {
      const place = r.preferredFormats.indexOf(f.extension);
      // Not in the list at all is the `format` condition's business, not an order.
      if (place <= 0) return undefined;
      return {
        reason: `${f.extension} is choice ${place + 1} of ${r.preferredFormats.length}`,
        weight: place / r.preferredFormats.length,
      };
    },
  },
  lossless: {
    name: 'lossless',
    description: 'The file is lossless (preferLossless ranks by it; allowLossy false requires it).',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => r.preferLossless || !r.allowLossy || r.required.includes('lossless'),
    check: (_r, f) => (isLossless(f.extension) ? undefined : { reason: `lossy (${f.extension})` }),
  },
  bitrate: {
    name: 'bitrate',
    description: 'A lossy file reports a bitrate within [minBitrate, maxBitrate] kbps.',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => bounded(r.minBitrate, r.maxBitrate),
    check: (r, f) => {
      if (isLossless(f.extension) || !known(f.bitrateKbps)) return undefined;
      const off = outside(f.bitrateKbps, r.minBitrate, r.maxBitrate, '');
      return off ? { reason: `bitrate ${round(f.bitrateKbps, 0)} kbps, ${off}` } : undefined;
    },
  },
  sampleRate: {
    name: 'sampleRate',
    description: 'The reported sample rate is within [minSampleRate, maxSampleRate] Hz.',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => bounded(r.minSampleRate, r.maxSampleRate),
    check: (r, f) => {
      if (!known(f.sampleRateHz)) return undefined;
      const off = outside(f.sampleRateHz, r.minSampleRate, r.maxSampleRate, ' Hz');
      return off ? { reason: `sample rate ${f.sampleRateHz} Hz, ${off}` } : undefined;
    },
  },
  bitDepth: {
    name: 'bitDepth',
    description: 'The reported bit depth is within [minBitDepth, maxBitDepth] (lossless files).',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => bounded(r.minBitDepth, r.maxBitDepth),
    check: (r, f) => {
      if (!known(f.bitDepth)) return undefined;
      const off = outside(f.bitDepth, r.minBitDepth, r.maxBitDepth, '');
      return off ? { reason: `bit depth ${f.bitDepth}, ${off}` } : undefined;
    },
  },
  fileSize: {
    name: 'fileSize',
    description: 'The file size is within [minFileSizeMb, maxFileSizeMb] (MB of 1,000,000 bytes).',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => bounded(r.minFileSizeMb, r.maxFileSizeMb),
    check: (r, f) => {
      if (!known(f.sizeBytes)) return undefined;
      const mb = f.sizeBytes / 1_000_000;
      const off = outside(mb, r.minFileSizeMb, r.maxFileSizeMb, ' MB');
      return off ? { reason: `size ${round(mb)} MB, ${off}` } : undefined;
    },
  },
  duration: {
    name: 'duration',
    description:
      'The reported length is within durationToleranceSeconds of the wanted one (when both are known).',
    requiredCapable: true,
    unknownPasses: true,
    active: () => true,
    check: (r, f, w) => {
      const wanted = w.durationSeconds;
      if (!known(f.durationSeconds) || wanted === null || wanted === undefined || !(wanted > 0)) {
        return undefined;
      }
      const tolerance = r.durationToleranceSeconds;
      // The same rule and wording as ranking.ts, so a profile and the ranking never disagree.
      return Math.abs(f.durationSeconds - wanted) > tolerance
        ? {
            reason: `duration ${Math.round(f.durationSeconds)} s, expected ${Math.round(wanted)} s ± ${tolerance}`,
          }
        : undefined;
    },
  },
  excludeKeywords: {
    name: 'excludeKeywords',
    description:
      'No excludeKeywords entry occurs in the path as whole words, unless the request names it.',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => r.excludeKeywords.length > 0,
    check: (r, f, w) => excludedKeyword(r, w)(f),
    compile: excludedKeyword,
  },
  excludeUsers: {
    name: 'excludeUsers',
    description: 'The source is not in excludeUsers.',
    requiredCapable: true,
    unknownPasses: true,
    active: (r) => r.excludeUsers.length > 0,
    check: (r, f) =>
      r.excludeUsers.includes(f.source) ? { reason: `excluded user ${f.source}` } : undefined,
  },
};

/** Whether a failure of this condition rejects under these rules (allowLossy false = required lossless). */
export function isRequired(rules: ProfileRules, name: ConditionName): boolean {
  return rules.required.includes(name) || (name === 'lossless' && !rules.allowLossy);
}

export interface Rejection {
  condition: ConditionName;
  reason: string;
}

export interface ScorePart {
  condition: ConditionName;
  /** ≤ 0: minus the condition's weight. */
  points: number;
  reason: string;
}

export type ProfileVerdict =
  | { accepted: false; rejected: Rejection[] }
  | {
      accepted: true;
      /** Sum of the parts: 0 when every preferred condition holds. */
      score: number;
      parts: ScorePart[];
    };

/**
 * Evaluates one candidate: every active condition in table order. Any required failure rejects
 * (all of them are listed, so the explanation is complete); otherwise each preferred failure is a
 * score part. Deterministic and order-free: the same facts always give the same verdict.
 */
export function evaluateProfile(
  rules: ProfileRules,
  facts: CandidateFacts,
  wanted: WantedFacts = {},
): ProfileVerdict {
  return compileProfile(rules, wanted)(facts);
}

/**
 * evaluateProfile for one ranking: which conditions are active, which of them reject, and what
 * each check needs from the rules is decided once; the returned function judges one file.
 */
export function compileProfile(
  rules: ProfileRules,
  wanted: WantedFacts = {},
): (facts: CandidateFacts) => ProfileVerdict {
  const active = CONDITION_NAMES.filter((name) => CONDITIONS[name].active(rules)).map((name) => {
    const condition = CONDITIONS[name];
    return {
      name,
      rejects: condition.requiredCapable && isRequired(rules, name),
      check:
        condition.compile?.(rules, wanted) ??
        ((facts: CandidateFacts) => condition.check(rules, facts, wanted)),
    };
  });
  return (facts) => {
    let rejected: Rejection[] | undefined;
    let parts: ScorePart[] | undefined;
    for (const condition of active) {
      const failure = condition.check(facts);
      if (failure === undefined) continue;
      if (condition.rejects) {
        (rejected ??= []).push({ condition: condition.name, reason: failure.reason });
      } else {
        (parts ??= []).push({
          condition: condition.name,
          points: -(failure.weight ?? 1),
          reason: failure.reason,
        });
      }
    }
    if (rejected !== undefined) return { accepted: false, rejected };
    if (parts === undefined) return { accepted: true, score: 0, parts: [] };
    return { accepted: true, score: parts.reduce((sum, p) => sum + p.points, 0), parts };
  };
}

/** The neutral facts of a provider's candidate; numbers a peer left out or garbled are unknown. */
export function factsOf(candidate: Candidate): CandidateFacts {
  const facts: CandidateFacts = {
    // An indexer release's name is its title, not a file name: its format is the one the provider
    // read from the title (release-title.ts), '' when unknown.
    extension: candidate.release
      ? candidate.extension.toLowerCase()
      : extensionOf(candidate.filename),
    path: candidate.filename,
    source: candidate.username,
  };
  if (known(candidate.bitRate)) facts.bitrateKbps = candidate.bitRate;
  if (known(candidate.sampleRate)) facts.sampleRateHz = candidate.sampleRate;
  if (known(candidate.bitDepth)) facts.bitDepth = candidate.bitDepth;
  if (known(candidate.size)) facts.sizeBytes = candidate.size;
  if (known(candidate.lengthSeconds)) facts.durationSeconds = candidate.lengthSeconds;
  return facts;
}
