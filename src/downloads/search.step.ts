import { randomUUID } from 'node:crypto';
import { buildSearchQueries } from '../matching/query.js';
import { rankCandidates, type RankingResult } from '../matching/ranking.js';
import { ProviderError, type Candidate } from '../providers/provider.js';
import type { JobContext, SourcePolicy } from './download.job.js';
import type { DownloadRow } from './download.repository.js';

/** What is kept on the download: the ranked candidates and why the others were turned down. */
export interface StoredCandidates {
  query: string;
  ranked: Array<{ candidate: Candidate; score: number; notes: string[] }>;
  rejected: Array<{ candidate: Candidate; reason: string }>;
  /** Set when the prefetcher searched ahead of the claim (src/downloads/prefetch.ts): found then. */
  prefetchedAt?: number;
}

/**
 * How long a search done ahead of time stays good: peers go offline and their queues change, so an
 * older result is searched again when its download is claimed.
 */
export const PREFETCH_FRESH_MS = 120_000;

/** True when the claimed download has to search first: no usable candidates, or stale prefetched ones. */
export function needsSearch(stored: StoredCandidates | null, now: number): boolean {
  if (!stored || stored.ranked.length === 0) return true;
  return stored.prefetchedAt !== undefined && now - stored.prefetchedAt > PREFETCH_FRESH_MS;
}

const MAX_RANKED_KEPT = 50;
const MAX_REJECTED_KEPT = 200;

export function readCandidates(json: string | null): StoredCandidates | null {
  return json ? (JSON.parse(json) as StoredCandidates) : null;
}

/**
 * Searches (or resumes the search recorded on the row) and stores the ranked candidates. Returns
 * false when the round ended without a usable candidate (the caller has then scheduled a retry).
 */
export async function searchStep(ctx: JobContext): Promise<boolean> {
  const { provider } = ctx.deps;
  const queries = buildSearchQueries(ctx.row);
  let lost = 0;
  if (readCandidates(ctx.row.candidates)?.prefetchedAt !== undefined) {
    // A search done ahead of time that has gone stale (needsSearch): forget it and search now.
    await ctx.save({ candidates: null });
  }
  for (;;) {
    const index = ctx.row.query_index;
    const query = queries[index];
    if (query === undefined) {
      await ctx.retryLater(
        'no_results',
        noResultsMessage(queries, readCandidates(ctx.row.candidates)),
      );
      return false;
    }

    let searchId = ctx.row.search_id;
    if (!searchId) {
      // The id is stored before the daemon hears of it, so a restart re-reads the same search.
      searchId = randomUUID();
      await ctx.save({ search_id: searchId, error_code: null, error_message: null }, 'search');
      try {
        await provider.startSearch(
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

    const snapshot = await waitForSearch(ctx, searchId);
    if (snapshot === 'lost') {
      // Lost in an slskd restart, or refused: search again under a new id, a few times at most.
      if (++lost > 3) throw new ProviderError('slskd_unavailable', 'slskd keeps losing searches');
      await ctx.save({ search_id: null });
      continue;
    }
    const stored = await rankSnapshot(ctx.row, query, snapshot, ctx.deps.sources);
    void provider.deleteSearch(searchId).catch(() => undefined);
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

/** Ranks a finished search's answers for this download, blocked sources and peer records applied. */
export async function rankSnapshot(
  row: Pick<DownloadRow, 'artist' | 'title' | 'album' | 'duration_seconds'>,
  query: string,
  snapshot: Candidate[],
  sources: SourcePolicy | undefined,
): Promise<StoredCandidates> {
  const filter = sources
    ? await sources.sourceFilter([...new Set(snapshot.map((c) => c.username))])
    : undefined;
  const result = rankCandidates(
    {
      artist: row.artist,
      title: row.title,
      album: row.album,
      durationSeconds: row.duration_seconds,
    },
    snapshot,
    filter ? { isBlocked: filter.isBlocked, peerRecord: filter.peerRecord } : {},
  );
  return toStored(query, result);
}

/** The search's candidates once complete, or `lost` when slskd no longer has a usable record. */
async function waitForSearch(ctx: JobContext, searchId: string): Promise<Candidate[] | 'lost'> {
  const { provider, config } = ctx.deps;
  // The daemon's timeout is an inactivity timeout; give up on a search that runs far longer.
  const deadline =
    ctx.deps.now() + ctx.deps.settings.get('searchTimeoutSeconds') * 1000 * 4 + 30_000;
  for (;;) {
    const snapshot = await provider.getSearch(searchId);
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
    // Group by the kind of reason, not its numbers ("duration 412 s, expected 200 s" → "duration").
    const kind = r.reason.split(/[:(\d]/)[0]!.trim() || r.reason;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([kind, n]) => `${n}× ${kind}`)
    .join(', ');
  return `${base}; ${last.rejected.length} found for "${last.query}", all rejected (${top})`;
}

function toStored(query: string, result: RankingResult): StoredCandidates {
  return {
    query,
    ranked: result.ranked.slice(0, MAX_RANKED_KEPT),
    rejected: result.rejected.slice(0, MAX_REJECTED_KEPT),
  };
}
