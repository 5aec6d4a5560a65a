import { randomUUID } from 'node:crypto';
import { buildSearchQueries } from '../matching/query.js';
import { rankCandidates, type RankingResult } from '../matching/ranking.js';
import { ProviderError, type Candidate } from '../providers/provider.js';
import type { JobContext } from './download.job.js';

/** What is kept on the download: the ranked candidates and why the others were turned down. */
export interface StoredCandidates {
  query: string;
  ranked: Array<{ candidate: Candidate; score: number; notes: string[] }>;
  rejected: Array<{ candidate: Candidate; reason: string }>;
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
  const { provider, config } = ctx.deps;
  const queries = buildSearchQueries(ctx.row);
  for (;;) {
    const index = ctx.row.query_index;
    const query = queries[index];
    if (query === undefined) {
      await ctx.retryLater('no_results', `No matching file found for: ${queries.join(' | ')}`);
      return false;
    }

    let searchId = ctx.row.search_id;
    if (!searchId) {
      // The id is stored before the daemon hears of it, so a restart re-reads the same search.
      searchId = randomUUID();
      await ctx.save({ search_id: searchId, error_code: null, error_message: null }, 'search');
      await provider.startSearch(searchId, query, config.searchTimeoutSeconds * 1000);
    } else if (ctx.status === 'waiting') {
      await ctx.save({}, 'search');
    }

    const snapshot = await waitForSearch(ctx, searchId, query);
    const filter = ctx.deps.sources
      ? await ctx.deps.sources.sourceFilter([...new Set(snapshot.map((c) => c.username))])
      : undefined;
    const result = rankCandidates(
      {
        artist: ctx.row.artist,
        title: ctx.row.title,
        album: ctx.row.album,
        durationSeconds: ctx.row.duration_seconds,
      },
      snapshot,
      filter ? { isBlocked: filter.isBlocked, peerRecord: filter.peerRecord } : {},
    );
    void provider.deleteSearch(searchId).catch(() => undefined);
    if (result.ranked.length > 0) {
      await ctx.save({ candidates: JSON.stringify(toStored(query, result)) });
      return true;
    }
    // Nothing usable: keep the rejections for the user and try the next, looser query.
    await ctx.save({
      candidates: JSON.stringify(toStored(query, result)),
      search_id: null,
      query_index: index + 1,
    });
  }
}

async function waitForSearch(
  ctx: JobContext,
  searchId: string,
  query: string,
): Promise<Candidate[]> {
  const { provider, config } = ctx.deps;
  // The daemon's timeout is an inactivity timeout; give up on a search that runs far longer.
  const deadline = ctx.deps.now() + config.searchTimeoutSeconds * 1000 * 4 + 30_000;
  let restarted = false;
  for (;;) {
    const snapshot = await provider.getSearch(searchId);
    if (snapshot.state === 'complete') return snapshot.candidates;
    if (snapshot.state === 'missing') {
      // The daemon forgot it (restart) or the start never reached it: start it again once.
      if (restarted) throw new ProviderError('slskd_unavailable', 'slskd lost the search twice');
      restarted = true;
      await provider.startSearch(searchId, query, config.searchTimeoutSeconds * 1000);
    }
    if (ctx.deps.now() > deadline) {
      throw new ProviderError('timeout', `The search for "${query}" did not finish in time`);
    }
    // Search results are small and the wait is on the user's critical path: look often.
    await ctx.sleep(Math.min(200, config.pollIntervalMs));
  }
}

function toStored(query: string, result: RankingResult): StoredCandidates {
  return {
    query,
    ranked: result.ranked.slice(0, MAX_RANKED_KEPT),
    rejected: result.rejected.slice(0, MAX_REJECTED_KEPT),
  };
}
