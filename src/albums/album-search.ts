import { setTimeout as sleep } from 'node:timers/promises';
import type { Insertable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { DownloadsTable } from '../db/schema.js';
import { acceptRows } from '../downloads/accept.js';
import type { AcceptRepository } from '../downloads/accept.repository.js';
import type {
  AlbumTrackHook,
  LiveSettings,
  Logger,
  SourcePolicy,
} from '../downloads/download.job.js';
import { ConflictError, QueueFullError } from '../downloads/downloads.errors.js';
import type { ProfileSource } from '../downloads/search.step.js';
import type { EventLog, LoggedEventInput } from '../events/event-log.js';
import { searchOrder } from '../providers/provider-order.js';
import type { DownloadProvider } from '../providers/provider.js';
import { indexerIdsOf } from '../providers/provider-set.js';
import type { SearchSlots } from '../search/search-slots.js';
import { FOLDERS_BROWSED, findAlbumFolder } from './album-folder.js';
import { findReleaseAlbum, RELEASES_TRIED } from './indexer-album.js';
import { pinnedCandidates, trackRows } from './album-rows.js';
import type { AlbumRow, AlbumsRepository } from './albums.repository.js';
import type { AlbumTarget, AlbumTrackWanted, FolderVerdict } from './folder-choice.js';

/**
 * The album's folder search, in the background (POST /api/albums answers 201 first). Durable
 * through the album row: `folder_search = 'pending'` until the search's one closing write, and a
 * claim (`folder_search_owner`, `folder_search_until`) that lapses, so a crash after the 201 loses
 * nothing: this process frees its own claims at start, and every RECOVER_MS any process takes
 * over pending searches whose claim lapsed, as far as the shared search slots let it (a search
 * waits for a free slot; only a request is told 429). The closing write is fenced by the claim:
 * a process that lost it writes nothing.
 *
 * With a track list the tracks exist from the accept on, held back (`run_after` = the claim's
 * end) so they do not search alone first; the closing write pins each track's folder file and
 * makes them due (a track that began alone meanwhile, after a crash, keeps going). Without one,
 * the closing write accepts the folder's files as the tracks, or fails the album with why.
 */

/** How often pending searches whose claim lapsed are looked for. */
const RECOVER_MS = 15_000;
/** Room left in a claim for the closing write: no indexer is searched after it. */
const CLOSE_MARGIN_MS = 30_000;
/** How long a stop waits for the searches running here. */
const STOP_GRACE_MS = 2_000;

export interface AlbumSearchDeps {
  handle: DatabaseHandle;
  repo: AlbumsRepository;
  accept: AcceptRepository;
  tracker: Pick<AlbumTrackHook, 'albumsChanged'>;
  events: Pick<EventLog, 'appendMany'>;
  provider: DownloadProvider;
  profiles: ProfileSource;
  sources?: SourcePolicy | undefined;
  settings: LiveSettings;
  maxRetries: () => number;
  maxQueueSize: () => number;
  now: () => number;
  log: Logger;
  runner: { wake(): void };
  slots: SearchSlots;
  /** This process's stable id (claims survive its restart only as "its own", freed at start). */
  owner: string;
}

/** A claim on an album's folder search: whose, and until when. */
export interface SearchClaim {
  owner: string;
  until: number;
}

/**
 * Accepts an album's track rows in `tx` (all or none: a rejected one throws QueueFullError) and
 * attaches an active download of a track that belongs to no album. The events are returned, not
 * appended: the caller appends them last (the event log's lock comes last in a transaction).
 */
export async function acceptAlbumTracks(
  deps: Pick<AlbumSearchDeps, 'accept' | 'repo' | 'maxQueueSize'>,
  tx: Db,
  albumId: string,
  rows: Insertable<DownloadsTable>[],
  t: number,
): Promise<LoggedEventInput[]> {
  const held: LoggedEventInput[] = [];
  const collector = {
    appendMany: (_tx: unknown, batch: readonly LoggedEventInput[]) => {
      held.push(...batch);
      return Promise.resolve([]);
    },
  };
  const outcomes = await acceptRows(
    { accept: deps.accept, events: collector },
    tx,
    rows,
    deps.maxQueueSize(),
  );
  for (const [i, o] of outcomes.entries()) {
    if (o.kind === 'rejected') throw new QueueFullError(o.active);
    if (o.kind === 'existing' && o.row.album_id !== albumId) {
      if (!(await deps.repo.attachTrack(o.row.id, albumId, t, tx))) {
        throw new ConflictError(
          `Track ${String(rows[i]?.track_number)} "${o.row.title}" is already being downloaded for album ${String(o.row.album_id)}`,
        );
      }
    }
  }
  return held;
}

export function createAlbumSearch(deps: AlbumSearchDeps) {
  const { handle, repo, now, log } = deps;
  const running = new Set<Promise<void>>();
  /** The albums whose search runs in this process. */
  const searching = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  /** How long a claim holds: each search's own bound (4× the timeout + 30 s), the browses, a margin. */
  const claimMs = (tracks: boolean) => {
    const timeout = deps.settings.get('searchTimeoutSeconds') * 1000;
    // Without a track list the indexers are searched in turn, each within that bound; with one,
    // Soulseek alone (its tracks are held back to the claim's end, so it must not grow).
    if (tracks) return timeout * (4 + FOLDERS_BROWSED) + 60_000;
    const indexers = Math.max(1, indexerIdsOf(deps.provider).length);
    // A release indexer also has its release documents read (each within 30 s by default).
    return (timeout * (4 + FOLDERS_BROWSED) + RELEASES_TRIED * 30_000) * indexers + 60_000;
  };

  const wantedOf = (
    tracks: readonly {
      title: string;
      track_number: number | null;
      disc_number: number | null;
      duration_seconds: number | null;
    }[],
  ): AlbumTrackWanted[] =>
    tracks.map((t) => ({
      title: t.title,
      trackNumber: t.track_number ?? 0,
      discNumber: t.disc_number,
      durationSeconds: t.duration_seconds,
    }));

  async function search(album: AlbumRow, claim: SearchClaim): Promise<void> {
    const tracks = await repo.tracks(album.id);
    const wanted = tracks.length > 0 ? wantedOf(tracks) : null;
    const profile = await deps.profiles.rankingProfile(album.quality_profile_id);
    const target: AlbumTarget = {
      artist: album.artist,
      album: album.album,
      tracks: wanted,
      preferred:
        album.named_username && album.named_directory
          ? {
              provider: album.named_provider ?? undefined,
              username: album.named_username,
              directory: album.named_directory,
            }
          : null,
    };
    const searchDeps = {
      provider: deps.provider,
      sources: deps.sources,
      timeoutMs: deps.settings.get('searchTimeoutSeconds') * 1000,
      now,
      log,
    };
    let folder: FolderVerdict | null = null;
    const failures: string[] = [];
    // With a track list, Soulseek's folder only: every track searches the indexers on its own
    // anyway. Without one, the indexers in the album's order until one has the album.
    const soulseek = indexerIdsOf(deps.provider)[0];
    const order = wanted
      ? [soulseek]
      : searchOrder(indexerIdsOf(deps.provider), profile.rules.providers, album.preferred_provider);
    for (const [i, id] of order.entries()) {
      // Past this the claim could lapse and another process search again: no further indexer.
      if (i > 0 && now() > claim.until - CLOSE_MARGIN_MS) {
        failures.push('the search ran out of time');
        break;
      }
      try {
        if (id === soulseek) {
          folder = await findAlbumFolder(target, profile.rules, searchDeps);
        } else if (id !== undefined) {
          folder = await findReleaseAlbum(target, profile.rules, id, {
            ...searchDeps,
            deadline: claim.until - CLOSE_MARGIN_MS,
          });
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push(order.length > 1 ? `${id}: ${message}` : message);
        // With a track list every track can still search on its own; without one there is nothing.
        log.warn({ album: album.id, indexer: id, error: message }, 'album folder search failed');
      }
      if (folder && folder.tracks.length > 0) break;
      folder = null;
    }
    const failure = folder === null && failures.length > 0 ? failures.join('; ') : null;
    const folderColumns = {
      folder_provider: folder?.provider ?? null,
      folder_username: folder?.username ?? null,
      folder_directory: folder?.directory ?? null,
      folder_files: folder?.fileCount ?? null,
    };
    const name = `"${album.artist} - ${album.album}"`;
    const close = async (
      tx: Db,
      t: number,
      patch: Parameters<AlbumsRepository['finishSearch']>[2],
    ) => repo.finishSearch(album.id, claim, { ...patch, updated_at: t }, tx);

    if (wanted) {
      await handle.writeTx(async (tx) => {
        const t = now();
        const closed = await close(tx, t, { ...folderColumns, folder_search: 'done' });
        if (!closed) return;
        for (const [i, chosen] of (folder?.tracks ?? []).entries()) {
          const track = tracks[i];
          if (chosen.candidate && track && folder)
            await repo.pinTrack(
              track.id,
              pinnedCandidates(chosen.candidate, folder, profile),
              t,
              tx,
            );
        }
        // The rest (not in the folder, or no folder at all) search alone from now on.
        await repo.releaseTracks(album.id, t, tx);
        await deps.events.appendMany(tx, await deps.tracker.albumsChanged(tx, [album.id]));
      });
      deps.runner.wake();
      return;
    }

    const fail = (message: string) =>
      handle.writeTx(async (tx) => {
        const t = now();
        if (!(await close(tx, t, { folder_search: 'failed', folder_search_error: message })))
          return;
        await deps.events.appendMany(tx, await deps.tracker.albumsChanged(tx, [album.id]));
      });
    if (failure !== null) return fail(`Could not search for ${name}: ${failure}`);
    if (!folder || folder.tracks.length === 0)
      return fail(
        `No folder with ${name} was found${order.length > 1 ? ` at ${order.join(', ')}` : ''}; send a track list to search track by track`,
      );
    const found = folder;
    try {
      await handle.writeTx(async (tx) => {
        const t = now();
        // The close first: its update locks the album row (waiting for a preference clear in
        // flight to commit), so the read after it sees that clear. Read again, because the search
        // took a while and an indexer removed meanwhile was cleared from the album's preference
        // (sources/preference-clear.ts); the tracks must not bring it back.
        const closed = await close(tx, t, {
          ...folderColumns,
          folder_search: 'done',
          track_count: found.tracks.length,
        });
        if (!closed) return;
        const preferred = (await repo.get(album.id, tx))?.preferred_provider ?? null;
        const rows = trackRows(
          {
            albumId: album.id,
            artist: album.artist,
            album: album.album,
            year: album.year,
            qualityProfileId: album.quality_profile_id,
            preferredProvider: preferred,
          },
          found.tracks,
          t,
          deps.maxRetries(),
          t,
        ).map((row, i) => {
          // A release's track is the release with its file named (indexer-album.ts).
          const candidate = found.tracks[i]?.candidate;
          const pinned = candidate ? pinnedCandidates(candidate, found, profile) : null;
          return { ...row, candidates: pinned, pinned_candidates: pinned };
        });
        const held = await acceptAlbumTracks(deps, tx, album.id, rows, t);
        await deps.events.appendMany(tx, [
          ...held,
          ...(await deps.tracker.albumsChanged(tx, [album.id])),
        ]);
      });
    } catch (error) {
      if (!(error instanceof QueueFullError) && !(error instanceof ConflictError)) throw error;
      return fail(`The tracks of ${name} could not be queued: ${error.message}`);
    }
    deps.runner.wake();
  }

  /** Runs one claimed search, then gives its slot back. Errors leave it pending for the recovery. */
  function spawn(album: AlbumRow, claim: SearchClaim, release: () => void): void {
    searching.add(album.id);
    const job = search(album, claim)
      .catch((error: unknown) => {
        log.warn(
          { album: album.id, error: String(error) },
          'album folder search stopped; retried later',
        );
      })
      .finally(() => {
        release();
        running.delete(job);
        searching.delete(album.id);
      });
    running.add(job);
  }

  /** Takes over pending searches nobody holds, as far as the search slots go. */
  async function recoverOnce(): Promise<number> {
    let started = 0;
    const t = now();
    for (const id of await repo.lapsedSearches(t, 10)) {
      // Still running here past its claim (a slow indexer): not a second time beside it.
      if (searching.has(id)) continue;
      const release = deps.slots.take();
      if (!release) break;
      const album = await repo
        .claimSearch(id, deps.owner, t + claimMs(false), t)
        .catch((error: unknown) => {
          release();
          throw error;
        });
      if (!album) {
        release();
        continue;
      }
      spawn(album, { owner: deps.owner, until: album.folder_search_until ?? t }, release);
      started++;
    }
    return started;
  }

  return {
    /**
     * The claim a new album is inserted with (this process searches it at once); `tracks`: it has
     * a track list. A claim taken over later is the longer one (whether it has is not read first).
     */
    newClaim(t: number, tracks: boolean): SearchClaim {
      return { owner: deps.owner, until: t + claimMs(tracks) };
    },

    /** Starts the search of an album just accepted under `claim`, holding the slot `release` gives back. */
    start(album: AlbumRow, claim: SearchClaim, release: () => void): void {
      spawn(album, claim, release);
    },

    /** Looks for pending searches now (an album retried), besides the periodic look. */
    kick(): void {
      void recoverOnce().catch((error: unknown) =>
        log.warn({ error: String(error) }, 'could not look for pending album searches'),
      );
    },

    /** At start: frees this process's old claims, takes over what is pending, and keeps looking. */
    async recover(): Promise<number> {
      await repo.releaseSearches(deps.owner);
      const started = await recoverOnce();
      if (!stopped && !timer) {
        timer = setInterval(() => {
          if (!stopped) this.kick();
        }, RECOVER_MS);
        timer.unref();
      }
      return started;
    },

    /**
     * Stops looking, and gives the searches running here a moment to close. One still running
     * after that is left: its claim lapses, and the next start (or another process) runs it again.
     */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      await Promise.race([Promise.allSettled([...running]), sleep(STOP_GRACE_MS)]);
    },
  };
}

export type AlbumSearch = ReturnType<typeof createAlbumSearch>;
