import { currentIndexer, nextIndexer, searchOrder } from '../providers/provider-order.js';
import { indexerIdsOf } from '../providers/provider-set.js';
import type { ProviderId } from '../providers/release.js';
import type { JobContext } from './download.job.js';
import { readCandidates, type EarlierSearch, type StoredCandidates } from './search.step.js';

/**
 * Fallback across providers (docs/architecture.md, "Fallback across providers"): a download
 * searches its profile's indexers in order, and moves to the next when one has nothing acceptable
 * (every query fallback tried), is down, or its every candidate failed. What each one gave is kept
 * on the download (`StoredCandidates.earlier`), so the user sees why SoulSpot went on. Only after
 * the last does the download wait for a retry round, which starts from the first again.
 */

/** How many earlier providers' rejections are kept each (the current one keeps its 200). */
const EARLIER_REJECTED_KEPT = 20;
/** How many earlier searches are kept in all. */
const EARLIER_KEPT = 10;

/**
 * This download's indexer order: its preferred provider first (when still configured), then its
 * profile's list over the configured indexers.
 */
export async function indexerOrder(ctx: JobContext): Promise<ProviderId[]> {
  const configured = indexerIdsOf(ctx.deps.provider);
  const profile = ctx.deps.profiles
    ? await ctx.deps.profiles.rankingProfile(ctx.row.quality_profile_id ?? null)
    : undefined;
  return searchOrder(configured, profile?.rules.providers ?? [], ctx.row.preferred_provider);
}

/** The indexer the download is on now. */
export function indexerNow(ctx: JobContext, order: readonly ProviderId[]): ProviderId {
  return currentIndexer(order, ctx.row.search_provider);
}

/**
 * Moves the download on to the indexer after `current`, recording why, and answers true; false
 * when `current` was the last (nothing written: the caller schedules the retry round). The
 * current search's candidates go into `earlier`; the next search starts with the first query.
 */
export async function moveToNextIndexer(
  ctx: JobContext,
  order: readonly ProviderId[],
  current: ProviderId,
  reason: string,
  /** `search` from the transfer step (the download goes back to searching); none while searching. */
  event?: 'search',
): Promise<boolean> {
  const next = nextIndexer(order, current);
  if (!next) return false;
  const stored = readCandidates(ctx.row.candidates);
  ctx.deps.log.info(
    { id: ctx.row.id, from: current, to: next, reason },
    'trying the next provider',
  );
  const carried: StoredCandidates = {
    query: '',
    ranked: [],
    rejected: [],
    earlier: withEarlier(stored, current, reason),
  };
  await ctx.save(
    {
      search_provider: next,
      search_id: null,
      query_index: 0,
      candidates: JSON.stringify(carried),
    },
    event,
  );
  return true;
}

/**
 * The earlier providers' record with `current` added: its own search (when the stored candidates
 * are its: a carried-over record has an empty query) summarized, the rest as they were.
 */
export function withEarlier(
  stored: StoredCandidates | null,
  current: ProviderId,
  reason: string,
): EarlierSearch[] {
  // Bounded: a download that goes round many retry rounds keeps its latest providers' stories.
  const before = (stored?.earlier ?? []).slice(-(EARLIER_KEPT - 1));
  const own = stored && stored.query !== '' && (stored.provider ?? current) === current;
  return [
    ...before,
    {
      provider: current,
      reason,
      ...(own
        ? {
            query: stored.query,
            rankedTotal: stored.rankedTotal ?? stored.ranked.length,
            rejectedTotal: stored.rejectedTotal ?? stored.rejected.length,
            rejected: stored.rejected.slice(0, EARLIER_REJECTED_KEPT),
          }
        : { rankedTotal: 0, rejectedTotal: 0, rejected: [] }),
    },
  ];
}
