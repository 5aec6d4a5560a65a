import type { Candidate, Indexer, ProviderHealth, SearchSnapshot } from '../provider.js';
import {
  createTorznabApi,
  PROVIDER_PREFIX,
  TorznabError,
  type TorznabApi,
  type TorznabQuery,
} from './torznab.api.js';
import {
  INITIAL_BACKOFF,
  isDisabled,
  recordFailure,
  recordSuccess,
  type BackoffState,
} from './torznab.backoff.js';
import { releaseCandidate, type IndexerCaps } from './torznab.mapping.js';
import { createRateLimiter, SYSTEM_CLOCK, type Clock } from './torznab.rate-limit.js';
import type { TorznabSettings } from './torznab.settings.js';

/**
 * One Torznab/Newznab indexer as an `Indexer`: a search is one query (a few pages) whose releases
 * become candidates of the download client that fetches this protocol, kept in memory under the
 * search id (the indexer has no search state of its own). Every request goes through the
 * indexer's rate limit and its back-off (torznab.backoff.ts); health is the back-off's word.
 */

export interface ReleaseTerms {
  artist?: string;
  album?: string;
  /** Free text (a track title, or the whole query when there is no artist/album). */
  q?: string;
}

export interface TorznabProvider extends Indexer {
  readonly id: string;
  readonly settings: TorznabSettings;
  /** Structured search: `t=music` with `artist`/`album` when the indexer offers them. */
  searchReleases(terms: ReleaseTerms, options?: { timeoutMs?: number }): Promise<Candidate[]>;
  /** The indexer's capabilities (a settings page's "test" button); cached. */
  caps(): Promise<IndexerCaps>;
  /** The back-off state, for health pages and tests. */
  backoff(): BackoffState;
}

export interface TorznabDeps {
  api?: TorznabApi;
  clock?: Clock;
  /** When this process started (the back-off's startup grace). Default: the clock's now. */
  startedAt?: number;
}

/** Caps change rarely; re-read twice a day and after every failure. */
const CAPS_TTL_MS = 12 * 60 * 60_000;

/** The query for some terms, as the indexer's capabilities allow (t=music, else t=search). */
export function chooseQuery(
  caps: IndexerCaps,
  terms: ReleaseTerms,
): Omit<TorznabQuery, 'offset' | 'limit'> {
  const all = [terms.artist, terms.album, terms.q].filter(
    (t): t is string => !!t && t.trim() !== '',
  );
  const music = caps.musicSearch;
  if (music.available) {
    const params = new Set(music.supportedParams);
    const query: Omit<TorznabQuery, 'offset' | 'limit'> = { t: 'music' };
    const rest: string[] = [];
    if (terms.artist) {
      if (params.has('artist')) query.artist = terms.artist;
      else rest.push(terms.artist);
    }
    if (terms.album) {
      if (params.has('album')) query.album = terms.album;
      else rest.push(terms.album);
    }
    if (terms.q) rest.push(terms.q);
    // A music search that cannot take the free words would drop them: plain search instead.
    if (rest.length === 0 || params.has('q')) {
      if (rest.length > 0) query.q = rest.join(' ');
      return query;
    }
  }
  return { t: 'search', q: all.join(' ') };
}

export function createTorznabProvider(
  settings: TorznabSettings,
  deps: TorznabDeps = {},
): TorznabProvider {
  const api = deps.api ?? createTorznabApi(settings);
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const startedAt = deps.startedAt ?? clock.now();
  const limiter = createRateLimiter(settings.rateLimitPerMinute, clock);
  const name = `${PROVIDER_PREFIX}:${settings.id}`;
  let state: BackoffState = INITIAL_BACKOFF;
  let cachedCaps: { caps: IndexerCaps; at: number } | null = null;
  let capsInFlight: Promise<IndexerCaps> | null = null;
  const searches = new Map<string, SearchSnapshot>();

  const unavailable = (message: string): TorznabError =>
    new TorznabError(
      'provider_unavailable',
      `indexer "${settings.id}": ${message}`,
      name,
      undefined,
      false,
    );

  /** One request, under the rate limit and the back-off; failures escalate the back-off. */
  async function call<T>(
    request: (signal?: AbortSignal) => Promise<T>,
    deadline: number,
  ): Promise<T> {
    if (!settings.enabled) throw unavailable('disabled in settings');
    const now = clock.now();
    if (isDisabled(state, now)) {
      throw unavailable(
        `backing off until ${new Date(state.disabledTill!).toISOString()} after: ${state.reason}`,
      );
    }
    if (!(await limiter.acquire(deadline))) {
      throw new TorznabError(
        'rate_limited',
        `indexer "${settings.id}": its limit of ${settings.rateLimitPerMinute} requests a minute is used up`,
        name,
        undefined,
        false,
      );
    }
    // No request outlives the search's deadline; its own requestTimeoutMs bounds it otherwise.
    const remaining = deadline - clock.now();
    const signal =
      remaining < settings.requestTimeoutMs
        ? AbortSignal.timeout(Math.max(1, remaining))
        : undefined;
    try {
      const result = await request(signal);
      state = recordSuccess(state);
      return result;
    } catch (error) {
      // Cut short by the caller's deadline: the caller's limit, not the indexer's failure.
      if (signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      const failure = error instanceof TorznabError ? error : undefined;
      state = recordFailure(state, {
        now: clock.now(),
        startedAt,
        reason,
        escalate: !(failure?.connection ?? false),
        ...(failure?.retryAfterMs !== undefined ? { minimumMs: failure.retryAfterMs } : {}),
      });
      cachedCaps = null;
      throw error;
    }
  }

  function loadCaps(deadline: number): Promise<IndexerCaps> {
    if (cachedCaps && clock.now() - cachedCaps.at < CAPS_TTL_MS)
      return Promise.resolve(cachedCaps.caps);
    // Searches that start together share one caps request.
    capsInFlight ??= call((signal) => api.caps(signal), deadline)
      .then((caps) => {
        cachedCaps = { caps, at: clock.now() };
        return caps;
      })
      .finally(() => {
        capsInFlight = null;
      });
    return capsInFlight;
  }

  async function searchReleases(
    terms: ReleaseTerms,
    options: { timeoutMs?: number } = {},
  ): Promise<Candidate[]> {
    const deadline =
      clock.now() + (options.timeoutMs ?? settings.requestTimeoutMs * settings.maxPages);
    const caps = await loadCaps(deadline);
    const base = chooseQuery(caps, terms);
    const limit = Math.max(1, Math.min(settings.pageSize, caps.limits.max ?? settings.pageSize));
    const seen = new Set<string>();
    const out: Candidate[] = [];
    for (let page = 0; page < settings.maxPages; page++) {
      const offset = page * limit;
      let result;
      try {
        result = await call((signal) => api.search({ ...base, offset, limit }, signal), deadline);
      } catch (error) {
        // A later page failing keeps what the earlier ones found (the failure still counts).
        if (page > 0) break;
        throw error;
      }
      for (const release of result.releases) {
        const key = release.infohash ?? release.guid;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(releaseCandidate(release, settings.clientId));
        if (out.length >= settings.maxCandidatesPerSearch) return out;
      }
      const end = result.total !== undefined && offset + result.items >= result.total;
      if (result.items < limit || end || clock.now() >= deadline) break;
    }
    return out;
  }

  function remember(id: string, snapshot: SearchSnapshot): void {
    searches.delete(id);
    searches.set(id, snapshot);
    while (searches.size > settings.maxSearches) {
      const oldest = searches.keys().next().value as string;
      searches.delete(oldest);
    }
  }

  return {
    name,
    id: settings.id,
    settings,
    searchReleases,
    caps: () => loadCaps(clock.now() + settings.requestTimeoutMs),
    backoff: () => state,

    queriesFor: releaseQueries,

    async startSearch(id, text, timeoutMs) {
      remember(id, { state: 'running', candidates: [] });
      try {
        const candidates = await searchReleases(readQuery(text), { timeoutMs });
        // Deleted meanwhile: the caller is no longer interested.
        if (searches.has(id)) remember(id, { state: 'complete', candidates });
      } catch (error) {
        searches.delete(id);
        throw error;
      }
    },

    getSearch(id) {
      return Promise.resolve(searches.get(id) ?? { state: 'missing', candidates: [] });
    },

    deleteSearch(id) {
      searches.delete(id);
      return Promise.resolve();
    },

    async health(): Promise<ProviderHealth> {
      try {
        if (!settings.enabled) return { state: 'down', message: 'disabled in settings' };
        const now = clock.now();
        if (isDisabled(state, now)) {
          return {
            state: 'down',
            message: `${state.reason ?? 'failing'} — backing off (${state.failures} failure${state.failures === 1 ? '' : 's'} in a row), retries at ${new Date(state.disabledTill!).toISOString()}`,
          };
        }
        // A probe only when it costs no wait: health must not eat the searches' rate limit.
        if (cachedCaps === null && limiter.delay() === 0) {
          await loadCaps(now + settings.requestTimeoutMs);
        }
        return state.failures > 0 && state.reason
          ? { state: 'up', message: `last request failed: ${state.reason}` }
          : { state: 'up' };
      } catch (error) {
        return { state: 'down', message: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}

/**
 * A track's searches at a release indexer, in order: the album by artist and album (the release
 * that holds it), then singles and EPs by artist and title, then the free text. Each is sent to
 * `startSearch` as JSON of its terms (what the download row stores as its query).
 */
export function releaseQueries(track: {
  artist: string;
  title: string;
  album: string | null;
}): string[] {
  const terms: ReleaseTerms[] = [
    ...(track.album ? [{ artist: track.artist, album: track.album }] : []),
    { artist: track.artist, q: track.title },
    { q: `${track.artist} ${track.title}` },
  ];
  return terms.map((t) => JSON.stringify(t));
}

/** A query from `releaseQueries`, or any other text as free text (a manual search). */
export function readQuery(text: string): ReleaseTerms {
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as Record<string, unknown>;
      const pick = (k: string) =>
        typeof parsed[k] === 'string' ? (parsed[k] as string) : undefined;
      const terms: ReleaseTerms = {};
      for (const k of ['artist', 'album', 'q'] as const) {
        const v = pick(k);
        if (v !== undefined) terms[k] = v;
      }
      if (Object.keys(terms).length > 0) return terms;
    } catch {
      // Not ours: free text that happens to start with a brace.
    }
  }
  return { q: text };
}
