import type { Candidate } from '../providers/release.js';

/**
 * The ranking's two orders, fast: rejected files by compareCandidates, ranked files by score and
 * then compareCandidates. Both give exactly what a stable `Array.sort` with those comparators
 * gives (ties keep the input order), with far fewer string comparisons: a search's 25,000
 * results come from a few hundred sources, so sources (provider, then username: the first keys)
 * are put in order once and files are grouped by them; only files of one source are compared by
 * name.
 */

/** Total order used for ties: by provider, username, then file name, then every other field. */
export function compareCandidates(a: Candidate, b: Candidate): number {
  const bySource = compareSources(a, b);
  return bySource !== 0 ? bySource : compareSameUser(a, b);
}

/** The first keys of compareCandidates: provider, then username. */
function compareSources(a: Candidate, b: Candidate): number {
  if (a.provider !== b.provider) return a.provider < b.provider ? -1 : 1;
  if (a.username !== b.username) return a.username < b.username ? -1 : 1;
  return 0;
}

/** compareCandidates for two candidates of one source: the file name, then every field. */
function compareSameUser(a: Candidate, b: Candidate): number {
  if (a.filename < b.filename) return -1;
  if (a.filename > b.filename) return 1;
  const ka = canonicalKey(a);
  const kb = canonicalKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function canonicalKey(candidate: Candidate): string {
  const entries = Object.entries(candidate).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return JSON.stringify(entries);
}

/** Each candidate's source's place among the candidates' distinct sources, in compareSources order. */
function userPlaces(candidates: readonly Candidate[]): Int32Array {
  // Keyed by username within a provider: one map per provider (almost always one provider).
  const ids = new Map<string, Map<string, number>>();
  const firsts: Candidate[] = [];
  const idOf = new Int32Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const candidate = candidates[i]!;
    let ofProvider = ids.get(candidate.provider);
    if (ofProvider === undefined) {
      ofProvider = new Map();
      ids.set(candidate.provider, ofProvider);
    }
    let id = ofProvider.get(candidate.username);
    if (id === undefined) {
      id = firsts.length;
      firsts.push(candidate);
      ofProvider.set(candidate.username, id);
    }
    idOf[i] = id;
  }
  const byName = firsts.map((_, id) => id).sort((x, y) => compareSources(firsts[x]!, firsts[y]!));
  const place = new Int32Array(firsts.length);
  for (let p = 0; p < byName.length; p++) place[byName[p]!] = p;
  for (let i = 0; i < idOf.length; i++) idOf[i] = place[idOf[i]!]!;
  return idOf;
}

/**
 * The indices of the first `keep` of `candidates` in compareCandidates order (stable), all of them
 * by default: grouped by source, each group by file name. Only the groups that reach into the
 * first `keep` are ordered, so keeping the 200 rejections a search stores of 20,000 costs one
 * pass. Indices, not entries: the ranking keeps its rejections as plain lists (a candidate and a
 * reason each) and makes an entry only for the ones kept.
 */
export function orderByCandidate(
  candidates: readonly Candidate[],
  keep = candidates.length,
): number[] {
  const places = userPlaces(candidates);
  // A counting sort by source place (stable), then each source's files among themselves.
  const starts = new Int32Array(candidates.length + 1);
  for (let i = 0; i < candidates.length; i++) starts[places[i]! + 1]!++;
  for (let p = 1; p < starts.length; p++) starts[p]! += starts[p - 1]!;
  const next = starts.slice();
  const out = new Array<number>(candidates.length);
  for (let i = 0; i < candidates.length; i++) out[next[places[i]!]!++] = i;
  const wanted = Math.min(keep, candidates.length);
  for (let p = 0; p + 1 < starts.length && starts[p]! < wanted; p++) {
    sortRange(out, candidates, starts[p]!, starts[p + 1]!);
  }
  if (wanted < out.length) out.length = wanted;
  return out;
}

/** out[from, to), indices of one source's candidates, by compareCandidates (stable); few are insertion-sorted. */
function sortRange(
  out: number[],
  candidates: readonly Candidate[],
  from: number,
  to: number,
): void {
  if (to - from > 32) {
    const part = out
      .slice(from, to)
      .sort((a, b) => compareSameUser(candidates[a]!, candidates[b]!));
    for (let i = 0; i < part.length; i++) out[from + i] = part[i]!;
    return;
  }
  for (let i = from + 1; i < to; i++) {
    const item = out[i]!;
    let j = i - 1;
    while (j >= from && compareSameUser(candidates[out[j]!]!, candidates[item]!) > 0) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = item;
  }
}

/** `entries` by score, highest first, then compareCandidates (stable). */
export function sortByScore<T extends { candidate: Candidate; score: number }>(
  entries: readonly T[],
): T[] {
  // Few are ranked (a few thousand at most): the plain sort is as fast as anything here.
  return [...entries].sort(
    (a, b) => b.score - a.score || compareCandidates(a.candidate, b.candidate),
  );
}
