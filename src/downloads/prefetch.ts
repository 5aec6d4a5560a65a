import { randomUUID } from 'node:crypto';
import { buildSearchQueries } from '../matching/query.js';
import type { Candidate, DownloadProvider } from '../providers/provider.js';
import type { LiveSettings, Logger, SourcePolicy } from './download.job.js';
import type { Lease } from '../queue/queue.repository.js';
import type { NextDue, PrefetchRepository } from './prefetch.repository.js';
import { indexerIdsOf } from '../providers/provider-set.js';
import {
  PREFETCH_FRESH_MS,
  rankSnapshot,
  type ProfileSource,
  type StoredCandidates,
} from './search.step.js';

/** Searches ahead at most this many at once (and never more than maxConcurrent). */
const MAX_PREFETCH = 4;

export interface PrefetchPlanInput {
  maxConcurrent: number;
  /** Followed transfers predicted to end within the horizon. */
  endingSoon: number;
  /** This process's searches ahead still running. */
  inFlight: { has(id: string): boolean; readonly size: number };
  /** Downloads with a live mark of any process (searching ahead, or tried lately): left alone. */
  marked: { has(id: string): boolean };
  /** Searches ahead running in every process (live `searching` marks). */
  searchingAhead: number;
  /** Workers searching in any process. */
  workersSearching: number;
  /** The next downloads in claim order (`nextDue`, `depth` of them). */
  rows: readonly NextDue[];
  /** Downloads searched ahead lately without a usable result: left to their worker. */
  recentlyTried: (id: string) => boolean;
}

/**
 * How many of the next downloads to keep searched: one per slot about to free. Not free slots: the
 * runner fills those at once, and that download's worker searches itself (its search id stored
 * first, so it survives a crash).
 */
export function prefetchDepth(maxConcurrent: number, endingSoon: number): number {
  return Math.max(0, Math.min(maxConcurrent, endingSoon));
}

/**
 * Which of the next downloads to search ahead now (pure). Only as deep as slots will free within
 * the horizon, so a result is used soon after it is found; at most min(maxConcurrent, 4) searches
 * at once, counting the workers' own searches, which come first: slskd runs only a couple of
 * searches at a time, and a claimed download must not wait behind guesses.
 */
export function planPrefetch(input: PrefetchPlanInput): string[] {
  const limit = Math.min(input.maxConcurrent, MAX_PREFETCH);
  const ahead = Math.max(input.inFlight.size, input.searchingAhead);
  let budget = limit - input.workersSearching - ahead;
  const depth = prefetchDepth(input.maxConcurrent, input.endingSoon);
  const picked: string[] = [];
  for (const row of input.rows.slice(0, depth)) {
    if (budget <= 0) break;
    if (!row.searchable || input.inFlight.has(row.id) || input.marked.has(row.id)) continue;
    if (input.recentlyTried(row.id)) continue;
    picked.push(row.id);
    budget--;
  }
  return picked;
}

export interface PrefetcherOptions {
  repo: PrefetchRepository;
  provider: DownloadProvider;
  settings: LiveSettings;
  sources?: SourcePolicy;
  /** Each download's quality profile, as the worker's search ranks with it. */
  profiles?: ProfileSource;
  /** False while nothing may start (global pause, outside the time windows, circuit open). */
  mayStart: () => boolean;
  /** Jobs this process's runner runs now. */
  activeJobs: () => number;
  /** Followed transfers predicted to end within `ms` (the transfer monitor). */
  endingWithin: (ms: number) => number;
  /** Transfers followed by this process's jobs (the others search or file: they end soon). */
  followed: () => number;
  /** Searches by hand (manual, album) running in this process: given way to as workers' are. */
  handSearches?: () => number;
  pollIntervalMs: number;
  now: () => number;
  log: Logger;
  /** Names this process's marks (migration 013); a fresh id by default. */
  owner?: string;
}

/** How often a running search ahead checks that its download still wants it. */
const RECHECK_MS = 1000;
/** Expired marks are swept at most this often. */
const SWEEP_MS = 60_000;

/**
 * Searches the next few due downloads ahead of time when slots are about to free, and stores the
 * ranked candidates with the time they were found, so a claimed download goes straight to its
 * transfer (docs/architecture.md, "Slot refill"). Advisory: a search ahead that is lost (a crash, a
 * restart of slskd, a result written too late) only means the worker searches itself, so its search
 * id is not stored first as a worker's is; what a crash leaves at slskd is at most a few finished
 * search records. Across processes a mark in the database (prefetch.repository.ts) gives each
 * download's search ahead to one process, and the budget counts every process's marks (two
 * processes planning in the same instant may still overshoot it by their picks, never on one
 * download).
 */
export function createPrefetcher(options: PrefetcherOptions) {
  const { repo, provider, settings, now, log } = options;
  const owner = options.owner ?? randomUUID();
  let sweptAt = 0;
  /** id → the search ahead running for it; `claimed` once this process's runner took the download. */
  const inFlight = new Map<
    string,
    { result: Promise<StoredCandidates | null>; claimed: boolean }
  >();
  /** id → when a search ahead found nothing usable: its worker walks the looser queries itself. */
  const tried = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let looking: Promise<void> | null = null;
  let again = false;
  let stopped = true;
  const running = new Set<Promise<void>>();

  const recentlyTried = (id: string): boolean => {
    const at = tried.get(id);
    if (at === undefined) return false;
    if (now() - at <= PREFETCH_FRESH_MS) return true;
    tried.delete(id);
    return false;
  };

  const look = async (): Promise<void> => {
    if (stopped || !options.mayStart()) return;
    const maxConcurrent = settings.get('maxConcurrent');
    // A search takes up to its inactivity timeout, and longer when slskd queues it: slots that
    // free within twice that are worth searching for now.
    const horizonMs = settings.get('searchTimeoutSeconds') * 2000 + options.pollIntervalMs * 2;
    // Jobs searching or filing end soon; those following a transfer when it should end.
    const endingSoon =
      Math.max(0, options.activeJobs() - options.followed()) + options.endingWithin(horizonMs);
    const depth = prefetchDepth(maxConcurrent, endingSoon);
    if (depth === 0 || inFlight.size >= Math.min(maxConcurrent, MAX_PREFETCH)) return;
    const t = now();
    if (t - sweptAt >= SWEEP_MS) {
      sweptAt = t;
      await repo.sweepMarks(t);
    }
    // A download that searches another indexer first would throw a search ahead away (the claim
    // keeps only one from its first indexer): such a row keeps its place but is not searched.
    const searchIndexer = indexerIdsOf(provider)[0];
    const rows = (await repo.nextDue(t, depth)).map((r) =>
      r.preferred_provider && r.preferred_provider !== searchIndexer
        ? { ...r, searchable: false }
        : r,
    );
    if (!rows.some((r) => r.searchable)) return;
    const workersSearching = (await repo.searchingNow(t)) + (options.handSearches?.() ?? 0);
    const marks = await repo.liveMarks(t);
    const ids = planPrefetch({
      maxConcurrent,
      endingSoon,
      inFlight,
      marked: new Set(marks.map((m) => m.id)),
      searchingAhead: marks.filter((m) => m.searching).length,
      workersSearching,
      rows,
      recentlyTried,
    });
    for (const id of ids) {
      const row = rows.find((r) => r.id === id) as NextDue;
      // Another process may have taken it since the marks were read: the upsert decides.
      if (!(await repo.takeMark(id, owner, t, t + searchBoundMs() + 30_000))) continue;
      if (stopped) {
        await repo.endMark(id, owner, null);
        return;
      }
      const entry = { result: searchAhead(row), claimed: false };
      inFlight.set(id, entry);
      const job = entry.result
        .then(async (stored) => {
          // Claimed meanwhile: settle() hands the result to that claim instead.
          if (!stored || entry.claimed) return;
          const written = await repo.storeCandidates(row.id, row.updated_at, toJson(stored));
          log.debug({ id, written, ranked: stored.ranked.length }, 'searched ahead');
        })
        .catch((error: unknown) => {
          log.debug({ id, error: String(error) }, 'search ahead failed; its worker will search');
        })
        .finally(async () => {
          // Nothing usable: the mark stays as "tried" for every process, until that goes stale.
          const triedAt = tried.get(id);
          const triedUntil =
            triedAt !== undefined && triedAt >= t ? triedAt + PREFETCH_FRESH_MS : null;
          await repo.endMark(id, owner, triedUntil).catch(() => undefined);
          inFlight.delete(id);
          running.delete(job);
          kick();
        });
      running.add(job);
    }
  };

  const toJson = (stored: StoredCandidates): string =>
    JSON.stringify({ ...stored, prefetchedAt: now() });

  /** As the worker's search: the daemon's timeout is an inactivity timeout, so bound the wait. */
  const searchBoundMs = (): number => settings.get('searchTimeoutSeconds') * 4000 + 30_000;

  /** One search ahead: its ranked result when it found something usable, else null. */
  const searchAhead = async (row: NextDue): Promise<StoredCandidates | null> => {
    const query = buildSearchQueries(row)[0];
    if (query === undefined) return null;
    const searchId = randomUUID();
    const timeoutMs = settings.get('searchTimeoutSeconds') * 1000;
    let candidates: Candidate[] | null = null;
    try {
      // Inside the try: a start that fails after slskd created the search still deletes it.
      await provider.startSearch(searchId, query, timeoutMs);
      const deadline = now() + searchBoundMs();
      let checkedAt = now();
      while (!stopped && now() <= deadline) {
        if (now() - checkedAt >= RECHECK_MS) {
          checkedAt = now();
          // Paused, cancelled, deleted or taken by another process's worker: stop searching.
          if (!(await repo.stillSearchable(row.id))) return null;
        }
        const snapshot = await provider.getSearch(searchId);
        if (snapshot.state === 'missing') return null;
        if (snapshot.state === 'complete') {
          candidates = snapshot.candidates;
          break;
        }
        await new Promise((r) => setTimeout(r, Math.min(200, options.pollIntervalMs)));
      }
    } finally {
      void provider.deleteSearch(searchId).catch(() => undefined);
    }
    if (!candidates || stopped) return null;
    const stored = await rankSnapshot(row, query, candidates, options.sources, options.profiles);
    if (stored.ranked.length > 0) return stored;
    tried.set(row.id, now());
    return null;
  };

  /** Looks now (coalesced: a look asked for while one runs makes one more after it). */
  const kick = (): void => {
    if (stopped) return;
    if (looking) {
      again = true;
      return;
    }
    looking = look()
      .catch((error: unknown) => log.warn({ error: String(error) }, 'prefetch look failed'))
      .finally(() => {
        looking = null;
        if (again) {
          again = false;
          kick();
        }
      });
  };

  return {
    kick,
    /**
     * Called by the runner with a fresh claim before its worker starts: if a search ahead for that
     * download is still running, waits for it (it is part-way through the search the worker would
     * start) and stores its result under the claim, so the worker goes straight to the transfer.
     */
    async settle(lease: Lease, signal?: AbortSignal): Promise<void> {
      const entry = inFlight.get(lease.downloadId);
      if (!entry) return;
      entry.claimed = true;
      // An aborted job (cancelled, paused, lease lost) does not wait out the search.
      const stored = await untilAborted(
        entry.result.catch(() => null),
        signal,
      );
      if (stored) await repo.storeForClaim(lease, toJson(stored)).catch(() => false);
    },
    start(): void {
      if (!stopped) return;
      stopped = false;
      // A regular look as well, for slots that free without a monitor cycle (filing, a worker's end).
      timer = setInterval(kick, options.pollIntervalMs);
      kick();
    },
    /** Downloads being searched ahead now (tests). */
    get inFlight(): number {
      return inFlight.size;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await looking;
      await Promise.all([...running]);
    },
  };
}

/** `p`'s value, or null as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T | null>, signal?: AbortSignal): Promise<T | null> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}

export type Prefetcher = ReturnType<typeof createPrefetcher>;
