import { MAX_HAND_SEARCHES, createSearchSlots, type SearchSlots } from '../search/search-slots.js';
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle, Db } from '../db/database.js';
import { createAcceptRepository } from '../downloads/accept.repository.js';
import { dedupeKey, isActive, type DownloadStatus } from '../downloads/download.js';
import { toDownloadDto } from '../downloads/download.dto.js';
import type {
  AlbumTrackHook,
  LiveSettings,
  Logger,
  SourcePolicy,
} from '../downloads/download.job.js';
import type { DownloadRepository, DownloadRow } from '../downloads/download.repository.js';
import {
  ConflictError,
  NotFoundError,
  type DownloadsService,
} from '../downloads/downloads.service.js';
import { decodeCursor } from '../downloads/list-cursor.js';
import {
  checkProfiles,
  isForeignKeyViolation,
  PROFILE_GONE,
  UnknownProfileError,
  type ProfileLookup,
} from '../downloads/profile-check.js';
import { checkPreferredProviders } from '../downloads/provider-check.js';
import type { ProfileSource } from '../downloads/search.step.js';
import type { EventLog } from '../events/event-log.js';
import type { DownloadProvider } from '../providers/provider.js';
import { indexerIdsOf } from '../providers/provider-set.js';
import { albumStatus, countTracks, type TrackCounts } from './album-status.js';
import { toAlbumDto, type AlbumDto, type CreateAlbumRequest } from './albums.dto.js';
import type { AlbumRow, AlbumsRepository } from './albums.repository.js';
import { acceptAlbumTracks, createAlbumSearch } from './album-search.js';
import { trackRows } from './album-rows.js';
import { SLSKD } from '../providers/release.js';

/** A request the schema cannot judge alone (repeated track numbers or titles): 400 naming the field. */
export class AlbumInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'AlbumInputError';
  }
}

/** Album searches at once, at most (shared with manual searches: search-slots.ts). */
export const MAX_ALBUM_SEARCHES = MAX_HAND_SEARCHES;

/** MAX_ALBUM_SEARCHES are running: 429, try again once one has answered. */
export class AlbumSearchesBusyError extends Error {
  readonly statusCode = 429;
  constructor() {
    super(
      `${MAX_ALBUM_SEARCHES} album searches are running (manual searches count too), the most at once; try again when one has answered`,
    );
    this.name = 'AlbumSearchesBusyError';
  }
}

export interface AlbumsServiceDeps {
  handle: DatabaseHandle;
  repo: AlbumsRepository;
  /** The album's events as of a transaction (album.completed when its tracks are all in). */
  tracker: Pick<AlbumTrackHook, 'albumsChanged'>;
  downloadsRepo: Pick<DownloadRepository, 'attemptsFor'>;
  /** Cancel and retry of single tracks: an album's commands are those, track by track. */
  downloads: Pick<DownloadsService, 'cancel' | 'retry'>;
  events: Pick<EventLog, 'appendMany'>;
  provider: DownloadProvider;
  profiles: ProfileSource & ProfileLookup;
  sources?: SourcePolicy;
  settings: LiveSettings;
  maxRetries: () => number;
  maxQueueSize: () => number;
  now: () => number;
  log: Logger;
  runner: { wake(): void };
  /** Shared with manual searches (main.ts); its own when not given. */
  searchSlots?: SearchSlots;
  /** This process's stable id, for the folder searches' claims (main.ts); a random one if not given. */
  owner?: string;
}

/** Albums: accept (choosing the folder first), read, cancel, retry. Routes call these. */
export function createAlbumsService(deps: AlbumsServiceDeps) {
  const { handle, repo, now } = deps;
  const accept = createAcceptRepository(handle.dialect);
  /** Searches by hand running in this process (MAX_ALBUM_SEARCHES), manual ones included. */
  const slots = deps.searchSlots ?? createSearchSlots();

  /**
   * Whether the album's folder is searched (on Soulseek, the indexer that can browse a folder).
   * Not when a track list names the tracks and the request prefers another indexer that is on:
   * the folder search would pin every track to a Soulseek folder, and the preference would count
   * only for a track whose folder file fails. Its tracks search that indexer first instead (a
   * release holding the album serves them all), then the profile's order. Without a track list
   * the search is what finds the tracks, so it always runs: Soulseek's folders and the release
   * indexers' albums in the album's order, the preferred indexer first (album-search.ts); a named
   * folder is searched as asked. Decided once, at accept: should that indexer be down then, or be
   * switched off later, the tracks go on through the profile's order (slskd in it) one by one.
   */
  const searchesFolder = (body: CreateAlbumRequest): boolean => {
    const indexers = indexerIdsOf(deps.provider);
    const elsewhere =
      body.provider != null && body.provider !== SLSKD && indexers.includes(body.provider);
    return !(elsewhere && body.tracks !== undefined && body.folder === undefined);
  };
  const searchDeps = { ...deps, accept, slots, owner: deps.owner ?? `albums-${randomUUID()}` };
  const search = createAlbumSearch(searchDeps);

  /**
   * The album row read before its tracks may be older than they are (PostgreSQL reads each
   * statement at its own moment): tracks all completed by a write that committed in between, the
   * row still without that write's `completed_at`. Read again then, so the two agree.
   */
  async function caughtUp(row: AlbumRow, counts: TrackCounts): Promise<AlbumRow> {
    if (row.completed_at !== null || albumStatus(counts) !== 'completed') return row;
    return (await repo.get(row.id)) ?? row;
  }

  async function view(first: AlbumRow, withTracks: boolean): Promise<AlbumDto> {
    if (!withTracks) {
      const counts = countTracks(await repo.trackCounts([first.id]));
      return toAlbumDto(await caughtUp(first, counts), counts);
    }
    const tracks = await repo.tracks(first.id);
    const attempts = await deps.downloadsRepo.attemptsFor(tracks.map((t) => t.id));
    const counts = countTracks(tracks.map((t) => ({ status: t.status, n: 1 })));
    const row = await caughtUp(first, counts);
    return toAlbumDto(
      row,
      counts,
      tracks.map((t) => ({
        download: toDownloadDto(
          t,
          attempts.filter((a) => a.download_id === t.id),
        ),
      })),
    );
  }

  async function load(id: string): Promise<AlbumRow> {
    const row = await repo.get(id);
    if (!row) throw new NotFoundError(`Album ${id}`);
    return row;
  }

  return {
    /**
     * Accepts the album at once (201) and searches its folder in the background (album-search.ts):
     * with a track list, one download per track in the same transaction as the album row, all or
     * none (maxQueueSize → 429, nothing written), held back until the folder search pins their
     * files; without one, the album alone, its tracks made from the folder found. A search slot
     * (shared with manual searches) is taken here: none free → 429, nothing written.
     */
    async create(
      body: CreateAlbumRequest,
      /**
       * Runs in the album's own transaction, with its id: a caller that records what the album
       * came from (a Lidarr grab, a wanted album) does so in the same commit, so a crash leaves
       * both or neither, never an album its source does not know of (made again: a duplicate).
       */
      within?: (tx: Db, albumId: string) => Promise<void>,
    ): Promise<AlbumDto> {
      const profileId = body.qualityProfileId ?? null;
      await checkProfiles(
        deps.profiles,
        [{ artist: body.artist, title: body.album, qualityProfileId: profileId }],
        false,
      );
      checkPreferredProviders(deps.provider, [body], false);
      if (body.tracks) checkTracks(body.artist, body.album, body.tracks);
      const target = { artist: body.artist.trim(), album: body.album.trim() };
      const folderSearch = searchesFolder(body);
      // Bounded: each search holds a search at slskd (up to 4× searchTimeoutSeconds + 30 s and
      // the browses); beyond the bound the caller is told at once rather than piling up.
      const release = folderSearch ? slots.take() : () => undefined;
      if (!release) throw new AlbumSearchesBusyError();
      const t = now();
      const albumId = randomUUID();
      const claim = search.newClaim(t, body.tracks !== undefined);
      let row: AlbumRow | undefined;
      try {
        row = await handle
          .writeTx(async (tx) => {
            const inserted = {
              id: albumId,
              artist: target.artist,
              album: target.album,
              year: body.year ?? null,
              quality_profile_id: profileId,
              folder_provider: null,
              folder_username: null,
              folder_directory: null,
              folder_files: null,
              track_count: body.tracks?.length ?? 0,
              created_at: t,
              updated_at: t,
              completed_at: null,
              // Without a folder search the album is as one whose search found no folder: its
              // tracks search alone from the start.
              folder_search: folderSearch ? 'pending' : 'done',
              folder_search_owner: folderSearch ? claim.owner : null,
              folder_search_until: folderSearch ? claim.until : null,
              folder_search_error: null,
              named_provider: body.folder?.provider ?? null,
              named_username: body.folder?.username ?? null,
              named_directory: body.folder?.directory ?? null,
              preferred_provider: body.provider ?? null,
            };
            await repo.insert(inserted, tx);
            await within?.(tx, albumId);
            // The tracks wait for the folder search (or, after a crash, until its claim lapses).
            const rows = body.tracks
              ? trackRows(
                  {
                    albumId,
                    artist: target.artist,
                    album: target.album,
                    year: body.year ?? null,
                    qualityProfileId: profileId,
                    preferredProvider: body.provider ?? null,
                  },
                  body.tracks,
                  t,
                  deps.maxRetries(),
                  folderSearch ? claim.until : t,
                )
              : [];
            const held =
              rows.length > 0 ? await acceptAlbumTracks(searchDeps, tx, albumId, rows, t) : [];
            // As any change of its tracks: an attached download that completed meanwhile (its
            // write committed between the accept's read and the attach, and saw no album) can
            // make the album complete here, and album.completed must come from somewhere.
            const albumEvents = await deps.tracker.albumsChanged(tx, [albumId]);
            await deps.events.appendMany(tx, [...held, ...albumEvents]);
            return repo.get(albumId, tx);
          })
          .catch((error: unknown) => {
            if (isForeignKeyViolation(error)) throw new UnknownProfileError(PROFILE_GONE);
            throw error;
          });
      } catch (error) {
        release();
        throw error;
      }
      if (!row) {
        release();
        throw new NotFoundError(`Album ${albumId}`);
      }
      if (folderSearch) search.start(row, claim, release);
      deps.runner.wake();
      return view(row, true);
    },

    /** Takes over the folder searches a crash left pending, and keeps looking (main.ts, at start). */
    recover: () => search.recover(),
    /** Stops the background folder searches (shutdown). */
    stop: () => search.stop(),

    async get(id: string): Promise<AlbumDto> {
      return view(await load(id), true);
    },

    /** Newest first, without tracks; keyset pages. */
    async list(options: { limit: number; cursor?: string }) {
      const after = options.cursor ? decodeCursor(options.cursor) : undefined;
      const rows = await repo.list(options.limit + 1, after);
      const page = rows.slice(0, options.limit);
      const counts = await repo.trackCounts(page.map((r) => r.id));
      const last = page.at(-1);
      const items = await Promise.all(
        page.map(async (r) => {
          const own = countTracks(counts.filter((c) => c.album_id === r.id));
          return toAlbumDto(await caughtUp(r, own), own);
        }),
      );
      return {
        items,
        nextCursor:
          rows.length > options.limit && last
            ? Buffer.from(JSON.stringify([last.created_at, last.id])).toString('base64url')
            : null,
      };
    },

    /** Cancels every unfinished track (each as DELETE of a download would, slskd included). */
    async cancel(id: string): Promise<AlbumDto> {
      await load(id);
      const open = (await repo.tracks(id)).filter((t) => isActive(t.status as DownloadStatus));
      if (open.length === 0)
        throw new ConflictError(`Album ${id} has no unfinished tracks to cancel`);
      for (const track of open) {
        // A track that finished meanwhile is left as it is.
        // Each cancel announces the album in its own transaction (downloads.service.ts).
        await deps.downloads.cancel(track.id).catch(ignoreConflict);
      }
      return view(await load(id), true);
    },

    /**
     * Retries the failed and cancelled tracks (each from its folder file or a fresh search,
     * retries reset); an album whose folder search failed (no track list) searches again.
     */
    async retry(id: string): Promise<AlbumDto> {
      const album = await load(id);
      if (album.folder_search === 'failed') {
        if (!(await repo.searchAgain(id, now())))
          throw new ConflictError(`Album ${id} changed; try again`);
        search.kick();
        return view(await load(id), true);
      }
      const ended = (await repo.tracks(id)).filter(
        (t: DownloadRow) => t.status === 'failed' || t.status === 'cancelled',
      );
      if (ended.length === 0)
        throw new ConflictError(`Album ${id} has no failed or cancelled tracks to retry`);
      let retried = 0;
      for (const track of ended) {
        // Another active download of the same track (or one retried meanwhile): that one stands.
        if (await deps.downloads.retry(track.id).then(() => true, ignoreConflict)) retried++;
      }
      if (retried === 0)
        throw new ConflictError(
          `None of album ${id}'s tracks could be retried: each is active elsewhere`,
        );
      return view(await load(id), true);
    },
  };
}

export type AlbumsService = ReturnType<typeof createAlbumsService>;

function ignoreConflict(error: unknown): false {
  if (error instanceof ConflictError) return false;
  throw error;
}

/**
 * Two tracks with the same number on one disc, or the same title (they would be one download: the
 * dedupe key is artist, title and album), are refused naming the later one.
 */
function checkTracks(
  artist: string,
  album: string,
  tracks: NonNullable<CreateAlbumRequest['tracks']>,
): void {
  const numbers = new Map<string, number>();
  const titles = new Map<string, number>();
  tracks.forEach((t, i) => {
    const slot = `${t.discNumber ?? 1}:${t.trackNumber}`;
    const earlier = numbers.get(slot);
    if (earlier !== undefined) {
      throw new AlbumInputError(
        `body/tracks/${i}/trackNumber: track ${t.trackNumber} of disc ${t.discNumber ?? 1} is also tracks/${earlier}`,
      );
    }
    numbers.set(slot, i);
    const key = dedupeKey({ artist, title: t.title, album });
    const same = titles.get(key);
    if (same !== undefined) {
      throw new AlbumInputError(
        `body/tracks/${i}/title: "${t.title}" is also the title of tracks/${same}; one album cannot ask for the same title twice`,
      );
    }
    titles.set(key, i);
  });
}
