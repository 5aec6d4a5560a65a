import { MAX_HAND_SEARCHES, createSearchSlots, type SearchSlots } from '../search/search-slots.js';
import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../db/database.js';
import { createAcceptRepository } from '../downloads/accept.repository.js';
import { acceptRows, newDownloadRow, positionsAt } from '../downloads/accept.js';
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
  QueueFullError,
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
import type { ProfileSource, StoredCandidates } from '../downloads/search.step.js';
import type { EventLog, LoggedEventInput } from '../events/event-log.js';
import type { DownloadProvider } from '../providers/provider.js';
import { countTracks } from './album-status.js';
import { toAlbumDto, type AlbumDto, type CreateAlbumRequest } from './albums.dto.js';
import type { AlbumRow, AlbumsRepository } from './albums.repository.js';
import { findAlbumFolder } from './album-folder.js';
import type { AlbumTrackWanted, FolderVerdict } from './folder-choice.js';

/** A request the schema cannot judge alone (repeated track numbers or titles): 400 naming the field. */
export class AlbumInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'AlbumInputError';
  }
}

/** Without a track list, no folder had the album: 404 with what was searched. */
export class NoFolderError extends Error {
  readonly statusCode = 404;
  constructor(message: string) {
    super(message);
    this.name = 'NoFolderError';
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

/** The provider could not search (down, circuit open) and there is no track list to go on: 503. */
export class AlbumSearchUnavailableError extends Error {
  readonly statusCode = 503;
  constructor(message: string) {
    super(message);
    this.name = 'AlbumSearchUnavailableError';
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
}

/** Albums: accept (choosing the folder first), read, cancel, retry. Routes call these. */
export function createAlbumsService(deps: AlbumsServiceDeps) {
  const { handle, repo, now } = deps;
  const accept = createAcceptRepository(handle.dialect);
  /** Searches by hand running in this process (MAX_ALBUM_SEARCHES), manual ones included. */
  const slots = deps.searchSlots ?? createSearchSlots();

  async function view(row: AlbumRow, withTracks: boolean): Promise<AlbumDto> {
    if (!withTracks) {
      return toAlbumDto(row, countTracks(await repo.trackCounts([row.id])));
    }
    const tracks = await repo.tracks(row.id);
    const attempts = await deps.downloadsRepo.attemptsFor(tracks.map((t) => t.id));
    const counts = countTracks(tracks.map((t) => ({ status: t.status, n: 1 })));
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
     * Chooses the folder (one search for "artist album", the best folders browsed), then accepts
     * one download per track, each with its file in that folder pinned as its first source, in one
     * transaction with the album row: all tracks or none (maxQueueSize → 429, nothing written).
     */
    async create(body: CreateAlbumRequest): Promise<AlbumDto> {
      const profileId = body.qualityProfileId ?? null;
      await checkProfiles(
        deps.profiles,
        [{ artist: body.artist, title: body.album, qualityProfileId: profileId }],
        false,
      );
      if (body.tracks) checkTracks(body.artist, body.album, body.tracks);
      const profile = await deps.profiles.rankingProfile(profileId);
      const target = {
        artist: body.artist.trim(),
        album: body.album.trim(),
        tracks: body.tracks ?? null,
      };
      let folder: FolderVerdict | null = null;
      // Bounded: each search holds this request open (up to 4× searchTimeoutSeconds + 30 s) and a
      // search at slskd; beyond the bound the caller is told at once rather than piling up.
      const release = slots.take();
      if (!release) throw new AlbumSearchesBusyError();
      try {
        folder = await findAlbumFolder(target, profile.rules, {
          provider: deps.provider,
          sources: deps.sources,
          timeoutMs: deps.settings.get('searchTimeoutSeconds') * 1000,
          now,
          log: deps.log,
        });
      } catch (error) {
        // With a track list every track can still search on its own; without one there is nothing.
        if (!body.tracks) {
          throw new AlbumSearchUnavailableError(
            `Could not search for "${target.artist} - ${target.album}": ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        deps.log.warn({ error: String(error) }, 'album folder search failed; tracks search alone');
      } finally {
        release();
      }
      const wanted: AlbumTrackWanted[] | null = body.tracks ?? folder?.tracks ?? null;
      if (!wanted || wanted.length === 0) {
        throw new NoFolderError(
          `No folder with "${target.artist} - ${target.album}" was found; send a track list to search track by track`,
        );
      }
      const pinned = new Map(
        (folder?.tracks ?? []).flatMap((t, i) => (t.candidate ? [[i, t.candidate] as const] : [])),
      );

      const t = now();
      const albumId = randomUUID();
      const positions = positionsAt(t, wanted.length);
      // Totals for the tags and for naming: with a disc total, disc 1 of a set is filed beside
      // the other discs (multi-disc pattern) instead of in the album folder itself.
      const discTotal = wanted.some((w) => w.discNumber != null)
        ? Math.max(...wanted.map((w) => w.discNumber ?? 1))
        : null;
      const onDisc = (disc: number | null | undefined) =>
        wanted.filter((w) => (w.discNumber ?? 1) === (disc ?? 1)).length;
      const rows = wanted.map((track, i) => {
        const candidate = pinned.get(i);
        const stored: StoredCandidates | null = candidate
          ? {
              query: `album folder ${candidate.username} ${folder?.directory ?? ''}`,
              ...(profile.id ? { profile: { id: profile.id, name: profile.name } } : {}),
              ranked: [{ candidate, score: 0, notes: ['album folder'] }],
              rejected: [],
              rankedTotal: 1,
              rejectedTotal: 0,
              pinned: true,
            }
          : null;
        return {
          ...newDownloadRow(
            {
              artist: target.artist,
              title: track.title,
              album: target.album,
              albumArtist: target.artist,
              trackNumber: track.trackNumber,
              discNumber: track.discNumber ?? null,
              discTotal,
              trackTotal: onDisc(track.discNumber),
              year: body.year ?? null,
              durationSeconds: track.durationSeconds ?? null,
              qualityProfileId: profileId,
            },
            t,
            deps.maxRetries(),
          ),
          position: positions[i] as string,
          album_id: albumId,
          candidates: stored ? JSON.stringify(stored) : null,
          // Kept for every fresh start: a retried track tries the folder first again.
          pinned_candidates: stored ? JSON.stringify(stored) : null,
        };
      });

      await handle
        .writeTx(async (tx) => {
          await repo.insert(
            {
              id: albumId,
              artist: target.artist,
              album: target.album,
              year: body.year ?? null,
              quality_profile_id: profileId,
              folder_provider: folder?.provider ?? null,
              folder_username: folder?.username ?? null,
              folder_directory: folder?.directory ?? null,
              folder_files: folder?.fileCount ?? null,
              track_count: rows.length,
              created_at: t,
              updated_at: t,
              completed_at: null,
            },
            tx,
          );
          // The accept's events are held back and appended last, after the row writes below: the
          // event log's lock comes last in a transaction (event-log.ts).
          const held: LoggedEventInput[] = [];
          const collector = {
            appendMany: (_tx: unknown, batch: readonly LoggedEventInput[]) => {
              held.push(...batch);
              return Promise.resolve([]);
            },
          };
          const outcomes = await acceptRows(
            { accept, events: collector },
            tx,
            rows,
            deps.maxQueueSize(),
          );
          for (const [i, o] of outcomes.entries()) {
            if (o.kind === 'rejected') throw new QueueFullError(o.active);
            if (o.kind === 'existing' && o.row.album_id !== albumId) {
              if (!(await repo.attachTrack(o.row.id, albumId, t, tx))) {
                throw new ConflictError(
                  `Track ${String(wanted[i]?.trackNumber)} "${o.row.title}" is already being downloaded for album ${String(o.row.album_id)}`,
                );
              }
            }
          }
          // As any change of its tracks: an attached download that completed meanwhile (its write
          // committed between the accept's read and the attach, and saw no album) can make the
          // album complete here, and album.completed must come from somewhere.
          const albumEvents = await deps.tracker.albumsChanged(tx, [albumId]);
          await deps.events.appendMany(tx, [...held, ...albumEvents]);
        })
        .catch((error: unknown) => {
          if (isForeignKeyViolation(error)) throw new UnknownProfileError(PROFILE_GONE);
          throw error;
        });
      deps.runner.wake();
      return view(await load(albumId), true);
    },

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
      return {
        items: page.map((r) =>
          toAlbumDto(r, countTracks(counts.filter((c) => c.album_id === r.id))),
        ),
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

    /** Retries the failed and cancelled tracks (each from a fresh search, retries reset). */
    async retry(id: string): Promise<AlbumDto> {
      await load(id);
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
