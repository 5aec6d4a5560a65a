import { randomUUID } from 'node:crypto';
import { buildSearchQueries } from '../matching/query.js';
import { DEFAULT_RULES } from '../matching/quality-profile-builtins.js';
import type { ConditionName, ProfileRules, ScorePart } from '../matching/quality-profile.js';
import { rankWithProfile, type ProfileRankingResult } from '../matching/quality-profile-ranking.js';
import {
  ProviderError,
  providerUnavailable,
  type Candidate,
  type Indexer,
} from '../providers/provider.js';
import { indexerFor } from '../providers/provider-set.js';
import { SLSKD, sourcesOf, type ProviderId } from '../providers/release.js';
import { LeaseLostError } from '../queue/queue.repository.js';
import { errorPolicy } from './error-codes.js';
import { indexerNow, indexerOrder, moveToNextIndexer } from './provider-fallback.js';
import type { AlbumReleaseChoice } from './album-release.js';
import { followSiblings } from './album-release.step.js';
import type { JobContext, SourcePolicy } from './download.job.js';
import type { DownloadRow } from './download.repository.js';

/**
 * What is kept on the download: the ranked candidates with their score breakdown, and why the
 * others were turned down (GET /api/downloads/{id}/candidates shows both). Fields marked optional
 * are absent from what was stored before downloads had profiles; readers treat them as empty.
 */
export interface StoredCandidates {
  query: string;
  /** The indexer that found them (absent: the first, slskd, as before there were several). */
  provider?: ProviderId;
  /**
   * The indexers searched before this one in this round, in order, and why SoulSpot went on
   * (provider-fallback.ts): nothing acceptable, down, or every candidate failed.
   */
  earlier?: EarlierSearch[];
  /** The quality profile it was ranked under. */
  profile?: { id: string; name: string };
  ranked: Array<{
    candidate: Candidate;
    score: number;
    /** The ranking's notes, then the reasons of the profile's preferences it misses. */
    notes: string[];
    /** The profile's part of the score: one entry per preference missed (points ≤ 0). */
    profileParts?: ScorePart[];
  }>;
  rejected: Array<{
    candidate: Candidate;
    reason: string;
    /** The profile's required conditions it fails; absent = the ranking's own rules rejected it. */
    conditions?: ConditionName[];
  }>;
  /** How many were ranked and rejected in all: only the first 50 and 200 are kept. */
  rankedTotal?: number;
  rejectedTotal?: number;
  /** Set when the prefetcher searched ahead of the claim (src/downloads/prefetch.ts): found then. */
  prefetchedAt?: number;
  /**
   * Not a search's result: the track's file in its album's chosen folder (src/albums), stored at
   * accept. When it fails or cannot be used, the download searches at once, in the same round,
   * instead of waiting for a retry round (transfer.step.ts).
   */
  pinned?: boolean;
  /** The source the user picked (POST /api/downloads/{id}/source): tried next, before the ranking. */
  pick?: StoredPick;
}

/**
 * A source chosen by the user. It carries the whole candidate, so it does not depend on the list
 * it was picked from; `attemptId` is set in the same write that starts its attempt, so a restart
 * neither loses the pick nor tries it twice.
 */
export interface StoredPick {
  candidateId: string;
  candidate: Candidate;
  /** Where the user found it: ranked by this download's search, rejected by it (an override), or a manual search. */
  from: 'ranked' | 'rejected' | 'search';
  /** The ranking's reason when it was rejected: what the user chose to override. */
  rejectedFor?: string;
  pickedAt: number;
  attemptId?: string;
  /**
   * When the switch to this pick stopped a transfer: the end of the hold (the download's
   * `run_after`) while the old transfer is cancelled at the daemon. A later pick inside the hold
   * keeps it, and the cancel's end makes the download due only if `run_after` is still this.
   */
  holdUntil?: number;
}

/** One earlier indexer's search, summarized: kept when the download moves to the next. */
export interface EarlierSearch {
  provider: ProviderId;
  reason: string;
  /** The last query it was searched with; absent when it could not be searched (down). */
  query?: string;
  rankedTotal: number;
  rejectedTotal: number;
  /** Its first rejections, with their reasons. */
  rejected: StoredCandidates['rejected'];
}

/** A pick not yet started: the next attempt takes it, and no search may replace the candidates. */
export function pendingPick(stored: StoredCandidates | null): StoredPick | null {
  return stored?.pick && stored.pick.attemptId === undefined ? stored.pick : null;
}

/** A profile as the search ranks with it. */
export interface RankingProfile {
  id: string;
  name: string;
  rules: ProfileRules;
}

/** The profile a download names, or the default when it names none (the quality-profiles service). */
export interface ProfileSource {
  rankingProfile(id: string | null): Promise<RankingProfile>;
}

/**
 * Without a profile source (a pipeline built in isolation) the rules are the defaults, which rank
 * exactly as the bare policy did (quality-profile-ranking.test.ts).
 */
const NO_PROFILE: RankingProfile = { id: '', name: '', rules: DEFAULT_RULES };

/**
 * How long a search done ahead of time stays good: peers go offline and their queues change, so an
 * older result is searched again when its download is claimed.
 */
export const PREFETCH_FRESH_MS = 120_000;

/** True when the claimed download has to search first: no usable candidates, or stale prefetched ones. */
export function needsSearch(stored: StoredCandidates | null, now: number): boolean {
  // The user's pick is tried first, whatever the list (all rejected, or searched long ago).
  if (pendingPick(stored)) return false;
  if (!stored || stored.ranked.length === 0) return true;
  return stored.prefetchedAt !== undefined && now - stored.prefetchedAt > PREFETCH_FRESH_MS;
}

const MAX_RANKED_KEPT = 50;
export const MAX_REJECTED_KEPT = 200;

export function readCandidates(json: string | null): StoredCandidates | null {
  return json ? (JSON.parse(json) as StoredCandidates) : null;
}

/**
 * Searches (or resumes the search recorded on the row) and stores the ranked candidates. Returns
 * false when the round ended without a usable candidate (the caller has then scheduled a retry).
 */
export async function searchStep(ctx: JobContext): Promise<boolean> {
  const order = await indexerOrder(ctx);
  let lost = 0;
  if (readCandidates(ctx.row.candidates)?.prefetchedAt !== undefined) {
    // A search done ahead of time that has gone stale (needsSearch): forget it and search now.
    await ctx.save({ candidates: null });
  }
  for (;;) {
    const current = indexerNow(ctx, order);
    const indexer = indexerFor(ctx.deps.provider, current);
    const queries = indexer.queriesFor?.(ctx.row) ?? buildSearchQueries(ctx.row);
    const index = ctx.row.query_index;
    const query = queries[index];
    if (query === undefined) {
      const last = readCandidates(ctx.row.candidates);
      // Every query tried here: the next indexer of the profile's order, else a retry round.
      if (await moveToNextIndexer(ctx, order, current, nothingUsable(current, last))) continue;
      await ctx.retryLater('no_results', noResultsMessage(queries, last));
      return false;
    }

    let searchId = ctx.row.search_id;
    let snapshot: Candidate[] | 'lost';
    try {
      if (!searchId) {
        // The id is stored before the daemon hears of it, so a restart re-reads the same search.
        searchId = randomUUID();
        await ctx.save({ search_id: searchId, error_code: null, error_message: null }, 'search');
        try {
          await indexer.startSearch(
            searchId,
            query,
            ctx.deps.settings.get('searchTimeoutSeconds') * 1000,
          );
        } catch (error) {
          // slskd keeps a refused search as "Completed, Errored" with no results: never read that
          // back as "nothing found". The next claim starts a new search.
          if (error instanceof ProviderError && error.code === 'no_results') {
            // slskd refused these terms (e.g. nothing left after its filters): try the next query.
            await ctx.save({ search_id: null, query_index: index + 1 });
            continue;
          }
          await ctx.save({ search_id: null });
          throw error;
        }
      } else if (ctx.status === 'waiting') {
        await ctx.save({}, 'search');
      }
      snapshot = await waitForSearch(ctx, indexer, searchId);
    } catch (error) {
      if (error instanceof LeaseLostError || ctx.signal.aborted) throw error;
      // Down, unreachable, rate-limiting, timed out or answering garbage: the next indexer
      // searches instead of this download waiting for (or retrying) this one.
      const message = error instanceof Error ? error.message : String(error);
      if (await moveToNextIndexer(ctx, order, current, `${current}: ${message}`)) continue;
      // The last one: the download waits for it (the pipeline's error handling). A wait that
      // started past the first indexer begins at the first again, not at this one for hours.
      if (current !== order[0] && error instanceof ProviderError) {
        if (errorPolicy(error.code).waitForDaemon) await ctx.save({ search_provider: null });
      }
      throw error;
    }
    if (snapshot === 'lost') {
      // Lost in an slskd restart, or refused: search again under a new id, a few times at most,
      // then the next indexer.
      if (++lost > 3) {
        const why = `${current} keeps losing searches`;
        if (await moveToNextIndexer(ctx, order, current, why)) {
          lost = 0;
          continue;
        }
        throw providerUnavailable(current, why);
      }
      await ctx.save({ search_id: null });
      continue;
    }
    const ranked = await rankSnapshot(
      ctx.row,
      query,
      snapshot,
      ctx.deps.sources,
      ctx.deps.profiles,
    );
    // Only indexers before this one in this round have a story to keep: at the first, what is
    // stored is an earlier round's (kept through a retry backoff to explain it).
    const earlier = current === order[0] ? undefined : readCandidates(ctx.row.candidates)?.earlier;
    const stored = await followAlbum(ctx, {
      ...ranked,
      ...(order.length > 1 || current !== SLSKD ? { provider: current } : {}),
      ...(earlier ? { earlier } : {}),
    });
    void indexer.deleteSearch(searchId).catch(() => undefined);
    if (stored.ranked.length > 0) {
      await ctx.save({ candidates: JSON.stringify(stored) });
      return true;
    }
    // Nothing usable: keep the rejections for the user and try the next, looser query.
    await ctx.save({
      candidates: JSON.stringify(stored),
      search_id: null,
      query_index: index + 1,
    });
  }
}

/** The note on a release put first because the album's other tracks fetch from it. */
export const ALBUM_RELEASE_NOTE = "the album's other tracks fetch from this release";

/** The stored candidates after followSiblings (album-release.step.ts). */
async function followAlbum(ctx: JobContext, stored: StoredCandidates): Promise<StoredCandidates> {
  const followed = await followSiblings(ctx, stored.ranked);
  if (!followed || (followed.preferred.length === 0 && followed.dropped.length === 0))
    return stored;
  return withAlbumFollowed(stored, followed);
}

/**
 * The ranking as stored: in the ranking's own order, the preferred ones only noted, the dropped
 * ones rejected (a release found lacking stays lacking). The siblings may pick otherwise before
 * this track starts a source, so the order is not stored: transfer.step.ts follows them then.
 */
export function withAlbumFollowed(
  stored: StoredCandidates,
  followed: AlbumReleaseChoice<StoredCandidates['ranked'][number]>,
): StoredCandidates {
  const preferred = new Set(followed.preferred);
  const dropped = new Set(followed.dropped);
  return {
    ...stored,
    ranked: stored.ranked
      .filter((r) => !dropped.has(r))
      .map((r) => (preferred.has(r) ? { ...r, notes: [ALBUM_RELEASE_NOTE, ...r.notes] } : r)),
    rejected: [
      ...followed.dropped.map((r) => ({
        candidate: r.candidate,
        reason: 'track not in release: an earlier attempt found this release without it',
      })),
      ...stored.rejected,
    ].slice(0, MAX_REJECTED_KEPT),
    rankedTotal: (stored.rankedTotal ?? stored.ranked.length) - followed.dropped.length,
    rejectedTotal: (stored.rejectedTotal ?? stored.rejected.length) + followed.dropped.length,
  };
}

/** Why the download left an indexer whose every query found nothing acceptable. */
function nothingUsable(provider: ProviderId, last: StoredCandidates | null): string {
  const found = last && last.query !== '' ? (last.rejectedTotal ?? last.rejected.length) : 0;
  return found > 0 ? `${provider}: ${found} found, none acceptable` : `${provider}: nothing found`;
}

/**
 * Ranks a finished search's answers for this download under its quality profile (read now, so an
 * edit of the profile applies to the next search), blocked sources and peer records applied.
 */
export async function rankSnapshot(
  row: Pick<DownloadRow, 'artist' | 'title' | 'album' | 'duration_seconds'> &
    Partial<Pick<DownloadRow, 'quality_profile_id'>>,
  query: string,
  snapshot: Candidate[],
  sources: SourcePolicy | undefined,
  profiles: ProfileSource | undefined,
): Promise<StoredCandidates> {
  const filter = sources ? await sources.sourceFilter(sourcesOf(snapshot)) : undefined;
  const profile = profiles
    ? await profiles.rankingProfile(row.quality_profile_id ?? null)
    : NO_PROFILE;
  const result = rankWithProfile(
    {
      artist: row.artist,
      title: row.title,
      album: row.album,
      durationSeconds: row.duration_seconds,
    },
    snapshot,
    profile.rules,
    // Only the rejections that are stored are put in order (the rest are counted).
    filter
      ? {
          isBlocked: filter.isBlocked,
          peerRecord: filter.peerRecord,
          keepRejected: MAX_REJECTED_KEPT,
        }
      : { keepRejected: MAX_REJECTED_KEPT },
  );
  return toStored(query, result, profile);
}

/** The search's candidates once complete, or `lost` when slskd no longer has a usable record. */
async function waitForSearch(
  ctx: JobContext,
  indexer: Indexer,
  searchId: string,
): Promise<Candidate[] | 'lost'> {
  const { config } = ctx.deps;
  // The daemon's timeout is an inactivity timeout; give up on a search that runs far longer.
  const deadline =
    ctx.deps.now() + ctx.deps.settings.get('searchTimeoutSeconds') * 1000 * 4 + 30_000;
  for (;;) {
    const snapshot = await indexer.getSearch(searchId);
    if (snapshot.state === 'complete') return snapshot.candidates;
    if (snapshot.state === 'missing') return 'lost';
    if (ctx.deps.now() > deadline) {
      throw new ProviderError(
        'timeout',
        `The search for "${ctx.row.artist} - ${ctx.row.title}" did not finish in time`,
      );
    }
    // Search results are small and the wait is on the user's critical path: look often.
    await ctx.sleep(Math.min(200, config.pollIntervalMs));
  }
}

/** "No usable file for …: 4 found, all rejected (2× blocked source, 1× remix, not requested)". */
export function noResultsMessage(queries: string[], last: StoredCandidates | null): string {
  const base = `No usable file found for: ${queries.join(' | ')}`;
  if (!last || last.rejected.length === 0) return base;
  const counts = new Map<string, number>();
  for (const r of last.rejected) {
    // Group by the kind of reason, not its numbers ("duration 412 s, expected 200 s" → "duration");
    // a profile's rejection by the conditions it failed ("format+lossless").
    const kind = r.conditions?.length
      ? r.conditions.join('+')
      : r.reason.split(/[:(\d]/)[0]!.trim() || r.reason;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([kind, n]) => `${n}× ${kind}`)
    .join(', ');
  const total = last.rejectedTotal ?? last.rejected.length;
  const byProfile =
    last.profile?.name && last.rejected.some((r) => r.conditions?.length)
      ? ` by the quality profile "${last.profile.name}"`
      : '';
  return `${base}; ${total} found for "${last.query}", all rejected (${top})${byProfile}`;
}

function toStored(
  query: string,
  result: ProfileRankingResult,
  profile: RankingProfile,
): StoredCandidates {
  return {
    query,
    ...(profile.id ? { profile: { id: profile.id, name: profile.name } } : {}),
    ranked: result.ranked.slice(0, MAX_RANKED_KEPT),
    rejected: result.rejected.slice(0, MAX_REJECTED_KEPT),
    rankedTotal: result.ranked.length,
    rejectedTotal: result.rejectedTotal,
  };
}
