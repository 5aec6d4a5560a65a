import { MAX_HAND_SEARCHES, createSearchSlots, type SearchSlots } from './search-slots.js';
import { randomUUID } from 'node:crypto';
import { fileOf } from '../downloads/candidates.dto.js';
import { transcodeFields } from '../downloads/download.dto.js';
import type { LiveSettings, SourcePolicy } from '../downloads/download.job.js';
import { checkProfiles, type ProfileLookup } from '../downloads/profile-check.js';
import type { ProfileSource } from '../downloads/search.step.js';
import { freeSearchText, buildSearchQueries } from '../matching/query.js';
import { rankWithProfile } from '../matching/quality-profile-ranking.js';
import type { TrackTarget } from '../matching/ranking.js';
import { ProviderError, type Candidate, type DownloadProvider } from '../providers/provider.js';
import { sourcesOf } from '../providers/release.js';
import type { SearchRequest, SearchResultDto, SourceRequest } from './search.dto.js';

/**
 * Manual search (POST /api/search): one real search at the daemon, its answers ranked for what the
 * user typed under a quality profile, blocked sources and peer records applied exactly as a
 * download's search is ranked. Nothing is stored: a result carries everything needed to fetch it
 * (`source`, which POST /api/downloads takes), so any SoulSpot process can start the download.
 */

/** A request the schema cannot refuse by itself (which fields go together). The API answers 400. */
export class SearchRequestError extends Error {
  readonly statusCode = 400;
}

/** The daemon could not search (down, refused, lost the search). The API answers 503. */
export class SearchUnavailableError extends Error {
  readonly statusCode = 503;
}

/** Every search by hand is taken (search-slots.ts): 429, try again once one has answered. */
export class SearchesBusyError extends Error {
  readonly statusCode = 429;
  constructor() {
    super(
      `${MAX_HAND_SEARCHES} manual or album searches are running, the most at once; try again when one has answered`,
    );
    this.name = 'SearchesBusyError';
  }
}

/** The client went away before the answer: the search at slskd is stopped and deleted. */
export class SearchAbandonedError extends SearchUnavailableError {}

const DEFAULT_LIMIT = 50;

export interface SearchServiceDeps {
  provider: DownloadProvider;
  settings: Pick<LiveSettings, 'get'>;
  profiles: ProfileSource & ProfileLookup;
  sources?: SourcePolicy;
  now: () => number;
  /** How often a running search is read. */
  pollMs: number;
  /** Shared with album searches (main.ts); its own when not given. */
  slots?: SearchSlots;
}

/** The target and the daemon's text for a request; throws SearchRequestError naming the field. */
export function searchPlan(body: SearchRequest): { target: TrackTarget; text: string } {
  const hasTrack = body.artist !== undefined || body.title !== undefined;
  if (body.query !== undefined && hasTrack)
    throw new SearchRequestError('body: give either query, or artist and title, not both');
  if (body.query !== undefined) {
    const text = freeSearchText(body.query);
    if (!text)
      throw new SearchRequestError(
        'body/query: no word to search for (words of two or more letters or digits)',
      );
    return {
      target: { artist: '', title: '', album: null, durationSeconds: null, keywords: body.query },
      text,
    };
  }
  if (body.artist === undefined && body.title === undefined)
    throw new SearchRequestError('body: query, or artist and title, is required');
  if (body.artist === undefined) throw new SearchRequestError('body/artist: required with title');
  if (body.title === undefined) throw new SearchRequestError('body/title: required with artist');
  const [text] = buildSearchQueries({ artist: body.artist, title: body.title });
  if (!text)
    throw new SearchRequestError(
      'body/title: no word to search for (words of two or more letters or digits)',
    );
  return {
    target: {
      artist: body.artist,
      title: body.title,
      album: body.album ?? null,
      durationSeconds: body.durationSeconds ?? null,
    },
    text,
  };
}

/** The candidate a `source` body names: the file's facts as the result reported them. */
export function candidateOf(source: SourceRequest): Candidate {
  const filename = source.filename;
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return {
    provider: source.provider ?? 'slskd',
    username: source.username,
    filename,
    size: source.size,
    extension: dot > 0 ? base.slice(dot + 1).toLowerCase() : '',
    ...(source.bitRate != null ? { bitRate: source.bitRate } : {}),
    ...(source.sampleRate != null ? { sampleRate: source.sampleRate } : {}),
    ...(source.bitDepth != null ? { bitDepth: source.bitDepth } : {}),
    ...(source.lengthSeconds != null ? { lengthSeconds: source.lengthSeconds } : {}),
    hasFreeUploadSlot: false,
    queueLength: 0,
    uploadSpeed: 0,
  };
}

function sourceOf(c: Candidate) {
  return {
    provider: c.provider,
    username: c.username,
    filename: c.filename,
    size: c.size,
    bitRate: c.bitRate ?? null,
    sampleRate: c.sampleRate ?? null,
    bitDepth: c.bitDepth ?? null,
    lengthSeconds: c.lengthSeconds ?? null,
  };
}

export function createSearchService(deps: SearchServiceDeps) {
  const { provider, settings, now } = deps;
  const slots = deps.slots ?? createSearchSlots();

  /** The daemon's answers once the search is complete; stopped when `signal` aborts. */
  const run = async (
    text: string,
    signal?: AbortSignal,
  ): Promise<{ id: string; found: Candidate[] }> => {
    const id = randomUUID();
    const timeoutMs = settings.get('searchTimeoutSeconds') * 1000;
    try {
      await provider.startSearch(id, text, timeoutMs);
    } catch (error) {
      // slskd refused these words (nothing left after its own filters): nothing found.
      if (error instanceof ProviderError && error.code === 'no_results') return { id, found: [] };
      throw unavailable(error);
    }
    try {
      // The daemon's timeout is an inactivity timeout, reset by each answer: bound the whole wait
      // as the pipeline does.
      const deadline = now() + timeoutMs * 4 + 30_000;
      for (;;) {
        const snapshot = await provider.getSearch(id).catch((error: unknown) => {
          throw unavailable(error);
        });
        if (snapshot.state === 'complete') return { id, found: snapshot.candidates };
        if (signal?.aborted)
          throw new SearchAbandonedError(`The search for "${text}" was abandoned`);
        if (snapshot.state === 'missing')
          throw new SearchUnavailableError('slskd lost the search (restarted?); search again');
        if (now() > deadline)
          throw new SearchUnavailableError(`The search for "${text}" did not finish in time`);
        await pause(deps.pollMs, signal);
      }
    } finally {
      void provider.deleteSearch(id).catch(() => undefined);
    }
  };

  return {
    /** Manual searches running in this process (the prefetcher gives way to them). */
    get running(): number {
      return slots.running;
    },

    /** `signal`: the client went away (the route aborts it); the search is stopped at slskd. */
    async search(body: SearchRequest, signal?: AbortSignal): Promise<SearchResultDto> {
      const { target, text } = searchPlan(body);
      await checkProfiles(
        deps.profiles,
        [{ qualityProfileId: body.qualityProfileId ?? null }] as never,
        false,
      );
      const profile = await deps.profiles.rankingProfile(body.qualityProfileId ?? null);
      const release = slots.take();
      if (!release) throw new SearchesBusyError();
      let ran: { id: string; found: Candidate[] };
      try {
        ran = await run(text, signal);
      } finally {
        release();
      }
      const { id, found } = ran;
      const filter = deps.sources ? await deps.sources.sourceFilter(sourcesOf(found)) : undefined;
      const limit = body.limit ?? DEFAULT_LIMIT;
      // Only the rejections shown are put in order; rejectedTotal counts them all.
      const result = rankWithProfile(
        target,
        found,
        profile.rules,
        filter
          ? { isBlocked: filter.isBlocked, peerRecord: filter.peerRecord, keepRejected: limit }
          : { keepRejected: limit },
      );
      return {
        searchId: id,
        query: text,
        target: {
          artist: target.artist || null,
          title: target.title || null,
          album: target.album ?? null,
          keywords: target.keywords ?? null,
        },
        profile: { id: profile.id, name: profile.name },
        found: found.length,
        rankedTotal: result.ranked.length,
        rejectedTotal: result.rejectedTotal,
        ranked: result.ranked.slice(0, limit).map((r, i) => ({
          rank: i + 1,
          ...fileOf(r.candidate),
          score: r.score,
          notes: r.notes,
          profileParts: r.profileParts,
          // A result of a search by hand has never been downloaded, so never checked.
          ...transcodeFields({}),
          source: sourceOf(r.candidate),
        })),
        rejected: result.rejected.slice(0, limit).map((r) => ({
          ...fileOf(r.candidate),
          reason: r.reason,
          conditions: r.conditions ?? [],
          source: sourceOf(r.candidate),
        })),
      };
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;

/** Waits `ms`, or less when `signal` aborts meanwhile. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function unavailable(error: unknown): Error {
  if (error instanceof SearchUnavailableError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SearchUnavailableError(`slskd could not search: ${message}`);
}
