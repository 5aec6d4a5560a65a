import { sourceKey, type Candidate } from '../../src/providers/release.js';
import { normalizeForMatch, stripTrackNumber } from '../../src/matching/normalize.js';
import {
  CONDITION_NAMES,
  CONDITIONS,
  factsOf,
  isRequired,
  type ProfileRules,
  type ProfileVerdict,
  type Rejection,
  type ScorePart,
  type WantedFacts,
  type CandidateFacts,
} from '../../src/matching/quality-profile.js';
import {
  PREFERENCE_WEIGHT,
  policyFor,
  type ProfileRankingResult,
  type ProfileRankedCandidate,
  type ProfileRejectedCandidate,
} from '../../src/matching/quality-profile-ranking.js';
import {
  DEFAULT_QUALITY_POLICY,
  extensionOf,
  isLossless,
  qualityTier,
  type QualityPolicy,
} from '../../src/matching/quality-policy.js';
import type {
  PeerRecord,
  RankedCandidate,
  RankingOptions,
  RankingResult,
  RejectedCandidate,
} from '../../src/matching/ranking.js';
import {
  ANY_VARIANT,
  VARIANTS,
  prepareTarget,
  type PreparedTarget,
  type TrackTarget,
} from '../../src/matching/track-match.js';

/**
 * The ranking as it was written before it was made fast (issue 8's benchmark): one plain pass per
 * file, every path parsed and normalized afresh, every comparison a padded `includes`, both lists
 * sorted by compareCandidates. Kept as the reference the fast ranking must agree with, result for
 * result (ranking.fast.properties.test.ts). Do not optimize it: its worth is being obviously right.
 * A change to the rules lands here too, in its plain form (the request's own names taken out of a
 * name before version words count: withoutNames; records and ties per provider and source).
 */

// ---- normalize.ts: the path and phrase helpers ----

function parseRemotePath(remote: string, normalizeFolder: (text: string) => string) {
  const parts = (remote.includes('/') ? remote.split(/[\\/]/) : remote.split('\\')).filter(
    (part) => part.length > 0,
  );
  const baseName = parts.pop() ?? '';
  const dot = baseName.lastIndexOf('.');
  const folders = parts
    .filter((part, i) => !(i === 0 && (part.startsWith('@@') || /^[a-z]:$/i.test(part))))
    .map(normalizeFolder)
    .filter((part) => part.length > 0);
  return { folders, stem: normalizeForMatch(dot > 0 ? baseName.slice(0, dot) : baseName) };
}

export function referenceContainsPhrase(haystack: string, needle: string): boolean {
  if (needle.length === 0) return false;
  if (` ${haystack} `.includes(` ${needle} `)) return true;
  if (!needle.includes(' ')) return false;
  const joined = needle.replace(/ /g, '');
  if (joined.length < 4 || !haystack.replace(/ /g, '').includes(joined)) return false;
  const words = haystack.split(' ');
  for (let start = 0; start < words.length; start++) {
    let run = '';
    for (let i = start; i < words.length && run.length < joined.length; i++) {
      run += words[i]!;
      if (!joined.startsWith(run)) break;
      if (run.length === joined.length) return true;
    }
  }
  return false;
}
const containsPhrase = referenceContainsPhrase;

// ---- track-match.ts: matchNames ----

function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

type NameMatch =
  { reason: string } | { reason?: undefined; albumMatches: boolean; exactName: boolean };

function matchNames(
  target: PreparedTarget,
  candidate: Candidate,
  rejectVariants: boolean,
  normalizeFolder: (text: string) => string,
): NameMatch {
  const { folders, stem } = parseRemotePath(candidate.filename, normalizeFolder);
  const tags = candidate.tags;
  const tagTitle = normalizeForMatch(tags?.title ?? '');
  const tagArtist = normalizeForMatch(`${tags?.artist ?? ''} ${tags?.albumArtist ?? ''}`);
  const tagAlbum = normalizeForMatch(tags?.album ?? '');
  const hasTags = tagTitle !== '' || tagArtist !== '' || tagAlbum !== '';
  const wholePath = `${folders.join(' ')} ${stem}`;
  const everything = `${wholePath} ${tagTitle} ${tagArtist} ${tagAlbum}`;

  if (target.keywords.length > 0) {
    const missing = target.keywords.find((k) => !containsPhrase(everything, k));
    if (missing !== undefined) return { reason: `"${missing}" not in path` };
  }
  if (
    target.titleForms.length > 0 &&
    !target.titleForms.some((t) => containsPhrase(stem, t) || containsPhrase(tagTitle, t))
  ) {
    return { reason: hasTags ? 'title not in file name or tags' : 'title not in file name' };
  }
  if (
    target.artistForms.length > 0 &&
    !target.artistForms.some((a) => containsPhrase(wholePath, a) || containsPhrase(tagArtist, a))
  ) {
    return { reason: hasTags ? 'artist not in path or tags' : 'artist not in path' };
  }
  const mustShow = target.variants.some((v) => v.requested);
  if (rejectVariants && (mustShow || ANY_VARIANT.test(everything))) {
    const names = [stripTrackNumber(stem), tagTitle].map((name) => withoutNames(name, target));
    const containers = [...folders, tagAlbum].map((folder) => withoutNames(folder, target));
    for (const [i, variant] of VARIANTS.entries()) {
      const { allowed, allowedInFolder, requested } = target.variants[i]!;
      if (
        names.some((name) => count(name, variant.pattern) > allowed) ||
        containers.some((folder) => count(folder, variant.pattern) > allowedInFolder)
      ) {
        return { reason: `${variant.name}, not requested` };
      }
      if (requested && count(everything, variant.pattern) === 0) {
        return { reason: `not the requested ${variant.name} version` };
      }
    }
  }
  const albumMatches =
    target.album !== '' &&
    (containsPhrase(wholePath, target.album) || containsPhrase(tagAlbum, target.album));
  return { albumMatches, exactName: isExactName(stem, target) };
}

function withoutNames(name: string, target: PreparedTarget): string {
  let rest = name.replace(/^(?:\d+ )+/, '');
  const artist = target.folderNames.artists.find(
    (form) => rest === form || rest.startsWith(`${form} `),
  );
  const livePlace = /^(?:at|in|from|on|au|aus|im|en|ao|op) /;
  if (
    artist !== undefined &&
    !(ANY_VARIANT.test(artist) && livePlace.test(rest.slice(artist.length + 1)))
  )
    rest = rest.slice(artist.length);
  for (const own of [...target.folderNames.titles, ...target.folderNames.albums]) {
    if (own !== '') rest = ` ${rest} `.split(` ${own} `).join(' ');
  }
  return rest.trim();
}

function isExactName(stem: string, target: PreparedTarget): boolean {
  let rest = stripTrackNumber(stem);
  const artist = target.artistForms.find((form) => rest.startsWith(`${form} `));
  if (artist) rest = stripTrackNumber(rest.slice(artist.length + 1));
  return target.titleForms.includes(rest) || target.titleForms.includes(stem);
}

// ---- ranking.ts ----

function nonNegative(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

function evaluate(
  target: PreparedTarget,
  candidate: Candidate,
  policy: QualityPolicy,
  options: RankingOptions,
  records: Map<string, PeerRecord | undefined>,
  normalize: (text: string) => string,
): { reason?: string; score: number; notes: string[] } {
  const reject = (reason: string) => ({ reason, score: 0, notes: [] });
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
  return { score: tier.tier * 1000 + Math.round(within * 10) / 10, notes };
}

export function referenceCompare(a: Candidate, b: Candidate): number {
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
  if (a.username !== b.username) return a.username < b.username ? -1 : 1;
  if (a.filename !== b.filename) return a.filename < b.filename ? -1 : 1;
  const key = (c: Candidate) =>
    JSON.stringify(Object.entries(c).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function memoNormalize(): (text: string) => string {
  const seen = new Map<string, string>();
  return (text) => {
    let out = seen.get(text);
    if (out === undefined) {
      out = normalizeForMatch(text);
      seen.set(text, out);
    }
    return out;
  };
}

export function referenceRank(
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
  ranked.sort((a, b) => b.score - a.score || referenceCompare(a.candidate, b.candidate));
  rejected.sort((a, b) => referenceCompare(a.candidate, b.candidate));
  return { ranked, rejected, rejectedTotal: rejected.length };
}

// ---- quality-profile.ts and quality-profile-ranking.ts ----

export function referenceEvaluateProfile(
  rules: ProfileRules,
  facts: CandidateFacts,
  wanted: WantedFacts = {},
): ProfileVerdict {
  const rejected: Rejection[] = [];
  const parts: ScorePart[] = [];
  for (const name of CONDITION_NAMES) {
    const condition = CONDITIONS[name];
    if (!condition.active(rules)) continue;
    const failure = condition.check(rules, facts, wanted);
    if (failure === undefined) continue;
    if (condition.requiredCapable && isRequired(rules, name)) {
      rejected.push({ condition: name, reason: failure.reason });
    } else {
      parts.push({ condition: name, points: -(failure.weight ?? 1), reason: failure.reason });
    }
  }
  if (rejected.length > 0) return { accepted: false, rejected };
  return { accepted: true, score: parts.reduce((sum, p) => sum + p.points, 0), parts };
}

export function referenceRankWithProfile(
  target: TrackTarget,
  candidates: Candidate[],
  rules: ProfileRules,
  options: Omit<RankingOptions, 'policy'> = {},
): ProfileRankingResult {
  const base = referenceRank(target, candidates, { ...options, policy: policyFor(rules) });
  const text = [target.artist, target.title, target.album ?? '', target.keywords ?? ''].join(' ');
  const wanted = { durationSeconds: target.durationSeconds ?? null, text };
  const ranked: ProfileRankedCandidate[] = [];
  const rejected: ProfileRejectedCandidate[] = [...base.rejected];
  for (const entry of base.ranked) {
    const verdict = referenceEvaluateProfile(rules, factsOf(entry.candidate), wanted);
    if (!verdict.accepted) {
      rejected.push({
        candidate: entry.candidate,
        reason: verdict.rejected.map((r) => r.reason).join('; '),
        conditions: verdict.rejected.map((r) => r.condition),
      });
      continue;
    }
    ranked.push({
      candidate: entry.candidate,
      score: Math.round((entry.score + verdict.score * PREFERENCE_WEIGHT) * 10) / 10,
      notes: [...entry.notes, ...verdict.parts.map((p) => p.reason)],
      profileParts: verdict.parts,
    });
  }
  ranked.sort((a, b) => b.score - a.score || referenceCompare(a.candidate, b.candidate));
  rejected.sort((a, b) => referenceCompare(a.candidate, b.candidate));
  return { ranked, rejected, rejectedTotal: rejected.length };
}
