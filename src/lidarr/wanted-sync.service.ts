import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AlbumDto } from '../albums/albums.dto.js';
import type { AlbumsService } from '../albums/albums.service.js';
import { NotFoundError } from '../downloads/downloads.service.js';
import { toRemotePath, type PathMapping } from '../providers/path-mapping.js';
import type { LidarrAlbum, LidarrApi } from './lidarr.api.js';
import type { LidarrRepository, SyncRunRow, WantedRow, WantedState } from './lidarr.repository.js';
import { importFolder } from './sab.mapping.js';
import { albumRequest } from './wanted.mapping.js';

/**
 * The wanted-list sync (the Soularr way): reads Lidarr's `wanted/missing` (and `wanted/cutoff`
 * when asked), queues each album once as a SoulSpot album with Lidarr's track list, and when it
 * is filed asks Lidarr to import its folder (`DownloadedAlbumsScan`). De-duplicated by the
 * `lidarr_wanted` row (migration 027), whose insert is the claim: across restarts and processes,
 * a Lidarr album is queued once. Runs in one process are one at a time.
 */

/** Wanted albums read per run at most (pages of PAGE_SIZE). */
const PAGE_SIZE = 50;
const MAX_PAGES = 20;
const columnsOf = (run: SyncRun) => ({
  seen: run.seen,
  queued: run.queued,
  imported: run.imported,
  failed: run.failed,
  error: run.error,
  finished_at: null,
});

/** A run waits at most this long in all for album search slots (shared with manual searches). */
const SLOT_WAIT_MS = 10 * 60_000;
/**
 * A run recorded as started but not finished after this long had its process stop under it (a
 * run is bounded by SLOT_WAIT_MS for slots, plus Lidarr's answers and the imports).
 */
const RUN_STALE_MS = 30 * 60_000;
/** Runs kept in lidarr_sync_runs. */
const RUNS_KEPT = 50;

export class LidarrNotConfiguredError extends Error {
  readonly statusCode = 409;
  constructor() {
    super(
      'Lidarr is not configured: set lidarrUrl and lidarrApiKey (or SOULSPOT_LIDARR_URL and SOULSPOT_LIDARR_API_KEY)',
    );
    this.name = 'LidarrNotConfiguredError';
  }
}

export interface SyncRun {
  startedAt: string;
  finishedAt: string | null;
  /** Wanted albums Lidarr listed. */
  seen: number;
  /** Newly queued in SoulSpot by this run. */
  queued: number;
  /** Imports asked of Lidarr by this run. */
  imported: number;
  /** Albums that failed in this run (queueing or import). */
  failed: number;
  /** Why the run stopped early (Lidarr unreachable…), else null. */
  error: string | null;
}

export interface WantedSyncDeps {
  repo: LidarrRepository;
  albums: Pick<AlbumsService, 'create' | 'get'>;
  /** The Lidarr client for the settings in force; null when Lidarr is not configured. */
  api: () => LidarrApi | null;
  includeCutoff: () => boolean;
  libraryDir: string;
  pathMappings: () => readonly PathMapping[];
  now: () => number;
  log: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
  /** Waits between tries for a search slot (tests shorten it). */
  slotRetryMs?: number;
}

export function createWantedSync(deps: WantedSyncDeps) {
  const { repo, now, log } = deps;
  /** This process's run while it goes (its counts grow in memory; the row is written at the end). */
  let current: { id: string; run: SyncRun } | null = null;
  let running: Promise<SyncRun> | null = null;
  let importing: Promise<void> | null = null;
  const iso = (t: number) => new Date(t).toISOString();

  async function wantedAlbums(api: LidarrApi): Promise<LidarrAlbum[]> {
    const lists: ('missing' | 'cutoff')[] = deps.includeCutoff()
      ? ['missing', 'cutoff']
      : ['missing'];
    const seen = new Map<number, LidarrAlbum>();
    for (const list of lists) {
      for (let page = 1; page <= MAX_PAGES; page++) {
        const answer = await api.wanted(list, page, PAGE_SIZE);
        for (const album of answer.records) if (!seen.has(album.id)) seen.set(album.id, album);
        if (answer.records.length === 0 || page * PAGE_SIZE >= answer.totalRecords) break;
      }
    }
    return [...seen.values()];
  }

  /** Accepts one claimed album, waiting for a search slot while they are all taken. */
  async function accept(api: LidarrApi, album: LidarrAlbum, deadline: number): Promise<AlbumDto> {
    const request = albumRequest(album, await api.tracks(album.id));
    if (!request) throw new Error('Lidarr names no artist or title for it');
    for (;;) {
      try {
        // Queued in the album's own commit: a crash leaves the claim with its album or neither.
        return await deps.albums.create(request, (tx, albumId) =>
          repo.setWanted(album.id, { state: 'queued', album_id: albumId, error: null }, now(), tx),
        );
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 429 || now() > deadline) throw error;
        await sleep(deps.slotRetryMs ?? 2_000);
      }
    }
  }

  async function queueNew(api: LidarrApi, run: SyncRun): Promise<void> {
    const albums = await wantedAlbums(api);
    run.seen = albums.length;
    const deadline = now() + SLOT_WAIT_MS;
    for (const album of albums) {
      const t = now();
      const claimed = await repo.claimWanted({
        lidarr_album_id: album.id,
        album_id: null,
        artist: album.artist?.artistName ?? '',
        title: album.title,
        state: 'claimed',
        error: null,
        created_at: t,
        updated_at: t,
      });
      // A claim still `claimed` after a run's longest time was left by a process that stopped
      // before queueing the album: this run takes it over rather than leave it for ever.
      if (!claimed && !(await repo.retakeStaleWanted(album.id, t - RUN_STALE_MS, t))) continue;
      try {
        await accept(api, album, deadline);
        run.queued++;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if ((error as { statusCode?: number }).statusCode === 429) {
          // Still busy at the deadline: the claim goes, the next run queues it.
          await repo.dropWanted(album.id);
          continue;
        }
        await repo.setWanted(album.id, { state: 'failed', error: message }, now());
        run.failed++;
        log.warn({ lidarrAlbum: album.id, error: message }, 'could not queue a Lidarr album');
      }
    }
  }

  async function albumOf(row: WantedRow): Promise<AlbumDto | null> {
    if (!row.album_id) return null;
    return deps.albums.get(row.album_id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
  }

  /** Asks Lidarr to import every queued album that is filed; marks the ones that ended without. */
  async function importFinished(api: LidarrApi, run: SyncRun | null): Promise<void> {
    for (const row of await repo.awaitingImport()) {
      const album = await albumOf(row);
      const id = row.lidarr_album_id;
      if (!album) {
        await repo.setWanted(
          id,
          { state: 'failed', error: 'the album was removed from SoulSpot' },
          now(),
        );
        continue;
      }
      if (album.status === 'failed' || album.status === 'cancelled' || album.status === 'empty') {
        await repo.setWanted(
          id,
          { state: 'failed', error: `SoulSpot could not download it (${album.status})` },
          now(),
        );
        if (run) run.failed++;
        continue;
      }
      if (album.status !== 'completed' && album.status !== 'partial') continue;
      const filed = (album.tracks ?? [])
        .map((t) => t.libraryPath)
        .filter((p): p is string => p !== null);
      const where = importFolder(deps.libraryDir, filed);
      if (!where) continue;
      if ('problem' in where) {
        // Lidarr would import (and move) everything in the library from its root: not asked.
        await repo.setWanted(id, { state: 'failed', error: where.problem }, now());
        if (run) run.failed++;
        continue;
      }
      const folder = where.folder;
      if (!(await repo.takeForImport(id, now()))) continue;
      const lidarrPath = toRemotePath(folder, deps.pathMappings());
      try {
        await api.downloadedAlbumsScan(lidarrPath);
        if (run) run.imported++;
        log.info({ lidarrAlbum: id, path: lidarrPath }, 'asked Lidarr to import an album');
      } catch (error) {
        // Back to queued: the next run asks again.
        const message = error instanceof Error ? error.message : String(error);
        await repo.setWanted(id, { state: 'queued', error: message }, now());
        log.warn({ lidarrAlbum: id, error: message }, 'could not ask Lidarr to import an album');
      }
    }
  }

  async function runOnce(): Promise<SyncRun> {
    const run: SyncRun = {
      startedAt: iso(now()),
      finishedAt: null,
      seen: 0,
      queued: 0,
      imported: 0,
      failed: 0,
      error: null,
    };
    const id = randomUUID();
    const startedAt = now();
    run.startedAt = iso(startedAt);
    // Written first, so every process's GET /api/lidarr/sync sees a run going.
    await repo.insertRun({ id, started_at: startedAt, ...columnsOf(run) });
    current = { id, run };
    const api = deps.api();
    try {
      if (!api) throw new LidarrNotConfiguredError();
      await queueNew(api, run);
      await importFinished(api, run);
    } catch (error) {
      run.error = error instanceof Error ? error.message : String(error);
      if (!(error instanceof LidarrNotConfiguredError))
        log.warn({ error: run.error }, 'Lidarr sync stopped');
    } finally {
      const finishedAt = now();
      run.finishedAt = iso(finishedAt);
      await repo
        .finishRun(id, { ...columnsOf(run), finished_at: finishedAt })
        .then(() => repo.pruneRuns(RUNS_KEPT))
        .catch((error: unknown) =>
          log.warn({ error: String(error) }, 'could not record the Lidarr sync run'),
        )
        .finally(() => {
          current = null;
        });
    }
    return run;
  }

  /** The newest run of any process, as the API shows it. */
  async function lastRun(): Promise<{ run: SyncRun; going: boolean } | null> {
    const row = await repo.lastRun();
    if (!row) return null;
    if (current?.id === row.id) return { run: { ...current.run }, going: true };
    const started = Number(row.started_at);
    const stale = row.finished_at === null && now() - started > RUN_STALE_MS;
    return {
      run: runOf(row, stale ? 'The run did not finish: its SoulSpot process stopped' : null),
      going: row.finished_at === null && !stale,
    };
  }

  const runOf = (row: SyncRunRow, lost: string | null): SyncRun => ({
    startedAt: iso(Number(row.started_at)),
    finishedAt: row.finished_at === null ? null : iso(Number(row.finished_at)),
    seen: row.seen,
    queued: row.queued,
    imported: row.imported,
    failed: row.failed,
    error: row.error ?? lost,
  });

  return {
    /** Runs a sync now, or joins the one running in this process. */
    run(): Promise<SyncRun> {
      running ??= runOnce().finally(() => {
        running = null;
      });
      return running;
    },

    /** An album was filed (album.completed): asks Lidarr to import it without waiting for a run. */
    albumFinished(): Promise<void> {
      const api = deps.api();
      if (!api) return Promise.resolve();
      importing ??= importFinished(api, null)
        .catch((error: unknown) => log.warn({ error: String(error) }, 'Lidarr import check failed'))
        .finally(() => {
          importing = null;
        });
      return importing;
    },

    /** The newest run (of any process) and each album the sync knows, newest first. */
    async status(limit = 200) {
      const rows = await repo.wanted(limit);
      const albums = await Promise.all(
        rows.map(async (row) => {
          const album = await albumOf(row).catch(() => null);
          return {
            lidarrAlbumId: row.lidarr_album_id,
            artist: row.artist,
            title: row.title,
            state: row.state as WantedState,
            albumId: row.album_id,
            albumStatus: album?.status ?? null,
            error: row.error,
            updatedAt: iso(Number(row.updated_at)),
          };
        }),
      );
      const last = await lastRun();
      return {
        configured: deps.api() !== null,
        running: running !== null || last?.going === true,
        lastRun: last?.run ?? null,
        albums,
      };
    },
  };
}

export type WantedSync = ReturnType<typeof createWantedSync>;
