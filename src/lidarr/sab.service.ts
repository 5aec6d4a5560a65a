import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { AlbumDto } from '../albums/albums.dto.js';
import type { AlbumsService } from '../albums/albums.service.js';
import { ConflictError, NotFoundError } from '../downloads/downloads.service.js';
import { toRemotePath, type PathMapping } from '../providers/path-mapping.js';
import type { GrabRow, LidarrRepository } from './lidarr.repository.js';
import { NzbError, readNzbToken, releaseKey, verifyRelease } from './nzb.js';
import {
  historySlot,
  importFolder,
  listOf,
  queueSlot,
  type GrabView,
  type HistorySlot,
  type QueueSlot,
} from './sab.mapping.js';

/**
 * The SABnzbd API subset Lidarr's SABnzbd download client calls (SabnzbdProxy.cs), over SoulSpot's
 * albums: `addfile` turns one of SoulSpot's own NZBs into an album request, `queue` and `history`
 * show those albums as SABnzbd slots, the deletes and `retry` are the album's commands.
 */

/** The version answered: Lidarr wants `x.y.z` and 0.7.0 or later; 4.3+ reads history_retention_option. */
export const SAB_VERSION = '4.3.3';
/** The category Lidarr's SABnzbd client uses by default (SabnzbdSettings.cs). */
export const DEFAULT_CATEGORY = 'music';
/** Slots answered at most when Lidarr asks for `limit=0` (all). */
const MAX_SLOTS = 500;
/**
 * A claim without its album after this long was left by a process that stopped between the claim
 * and the album (accepting one is a transaction, not a search: seconds at most). It is shown
 * failed, so Lidarr does not wait for it for ever, and the same NZB sent again replaces it.
 */
export const UNACCEPTED_STALE_MS = 5 * 60_000;
export const UNACCEPTED_MESSAGE =
  'SoulSpot stopped before it queued this album; grab the release again';

/** A request SABnzbd would refuse; answered as SABnzbd does: `{status: false, error}`. */
export class SabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SabError';
  }
}

export interface SabServiceDeps {
  repo: LidarrRepository;
  albums: Pick<AlbumsService, 'create' | 'get' | 'cancel' | 'retry'>;
  /** The key NZBs are signed with (SoulSpot's API key). */
  signingKey: string;
  libraryDir: string;
  /** Remote path mappings: `remote` as Lidarr sees a folder, `local` as SoulSpot does. */
  pathMappings: () => readonly PathMapping[];
  /** The queue is paused (Lidarr shows its items paused). */
  paused: () => boolean;
  now: () => number;
}

export function createSabService(deps: SabServiceDeps) {
  const { repo } = deps;
  const lidarrPath = (local: string) => toRemotePath(local, deps.pathMappings());
  const completeDir = () => lidarrPath(path.resolve(deps.libraryDir));

  const viewOf = (g: GrabRow): GrabView => ({
    nzoId: g.nzo_id,
    title: g.title,
    category: g.category,
    priority: g.priority,
    size: Number(g.size),
  });

  /** The album of a grab, or null while it is being accepted or if it was removed from SoulSpot. */
  async function albumOf(g: GrabRow): Promise<AlbumDto | null> {
    if (!g.album_id) return null;
    return deps.albums.get(g.album_id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
  }

  /** A claim its process left without an album (see UNACCEPTED_STALE_MS). */
  const lost = (g: GrabRow): boolean =>
    g.album_id === null && deps.now() - Number(g.created_at) > UNACCEPTED_STALE_MS;

  async function slots(category: string | undefined) {
    const grabs = await repo.liveGrabs(category, MAX_SLOTS);
    return Promise.all(grabs.map(async (g) => ({ grab: g, album: await albumOf(g) })));
  }

  /** The history slot, failed when the album has no folder of its own to import. */
  function historyOf(grab: GrabRow, album: AlbumDto): HistorySlot {
    const filed = (album.tracks ?? [])
      .map((t) => t.libraryPath)
      .filter((p): p is string => p !== null);
    const where = importFolder(deps.libraryDir, filed);
    const slot = historySlot(
      viewOf(grab),
      album,
      where && 'folder' in where ? lidarrPath(where.folder) : '',
    );
    if (where && 'problem' in where && slot.status === 'Completed')
      return { ...slot, status: 'Failed', fail_message: where.problem };
    return slot;
  }

  return {
    version: () => ({ version: SAB_VERSION }),

    /** What Lidarr's test and GetStatus read: complete_dir, the categories, no sorting. */
    async config() {
      const dir = completeDir();
      const used = new Set([DEFAULT_CATEGORY]);
      for (const g of await repo.liveGrabs(undefined, MAX_SLOTS)) used.add(g.category);
      const category = (name: string) => ({
        name,
        order: 0,
        pp: '3',
        script: 'None',
        dir: '',
        newzbin: '',
        priority: 0,
      });
      return {
        config: {
          misc: {
            complete_dir: dir,
            download_dir: dir,
            tv_categories: [],
            enable_tv_sorting: false,
            movie_categories: [],
            enable_movie_sorting: false,
            date_categories: [],
            enable_date_sorting: false,
            pre_check: false,
            // Finished albums stay in the history until Lidarr removes them.
            history_retention: '0',
            history_retention_option: 'all',
            history_retention_number: 0,
          },
          categories: [category('*'), ...[...used].sort().map(category)],
          servers: [],
        },
      };
    },

    fullstatus: () => ({ status: { completedir: completeDir() } }),

    /**
     * An NZB from SoulSpot's Newznab endpoint becomes an album request. Idempotent: the same NZB
     * again answers the same nzo_id (the claim row is unique on the release) while Lidarr has not
     * removed that job; once it has, the same NZB is a new job.
     */
    async addFile(nzb: string, category: string, priority: number) {
      let token: string;
      let release;
      try {
        token = readNzbToken(nzb);
        release = verifyRelease(token, deps.signingKey);
      } catch (error) {
        if (error instanceof NzbError) throw new SabError(error.message);
        throw error;
      }
      const key = releaseKey(token);
      const nzoId = `SABnzbd_nzo_${randomBytes(8).toString('hex')}`;
      const title = releaseTitle(release);
      const claim = () =>
        repo.claimGrab({
          nzo_id: nzoId,
          nzb_key: key,
          album_id: null,
          title,
          category,
          priority,
          size: release.size,
          created_at: deps.now(),
          removed_at: null,
        });
      let claimed = await claim();
      if (!claimed) {
        const existing = await repo.grabByKey(key);
        if (existing?.removed_at != null) {
          // Lidarr removed that grab (gave up on it, or the user did) and grabs the release
          // again: a new job, not the removed one, which Lidarr would never find in its lists.
          await repo.dropRemovedGrab(key);
          claimed = await claim();
        } else if (existing && lost(existing)) {
          await repo.dropUnacceptedGrab(existing.nzo_id);
          claimed = await claim();
        } else if (existing) return { status: true, nzo_ids: [existing.nzo_id] };
      }
      if (!claimed) {
        const existing = await repo.grabByKey(key);
        if (existing && existing.removed_at == null)
          return { status: true, nzo_ids: [existing.nzo_id] };
        // The other request's album could not be queued and its claim went meanwhile.
        throw new SabError('The same NZB is being added by another request; try again');
      }
      try {
        await deps.albums.create(
          {
            artist: release.artist,
            album: release.album,
            ...(release.year ? { year: release.year } : {}),
            // The folder Lidarr chose from the feed, not whichever folder ranks best now.
            folder: {
              ...(release.provider ? { provider: release.provider } : {}),
              username: release.username,
              directory: release.directory,
            },
          },
          (tx, albumId) => repo.setGrabAlbum(nzoId, albumId, tx),
        );
      } catch (error) {
        // Nothing was queued: the claim goes, so Lidarr may send the same NZB again.
        await repo.dropGrab(nzoId);
        throw new SabError(
          `SoulSpot could not queue the album: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      return { status: true, nzo_ids: [nzoId] };
    },

    async queue(start: number, limit: number, category: string | undefined) {
      const all = (await slots(category)).filter(
        (s) => listOf(s.album) === 'queue' && !(s.album === null && lost(s.grab)),
      );
      const page = window(all, start, limit);
      const items: QueueSlot[] = page.map((s, i) => queueSlot(viewOf(s.grab), s.album, start + i));
      return {
        queue: {
          paused: deps.paused(),
          noofslots: all.length,
          noofslots_total: all.length,
          my_home: completeDir(),
          slots: items,
        },
      };
    },

    async history(start: number, limit: number, category: string | undefined) {
      const all = (await slots(category)).filter((s) =>
        s.album === null ? lost(s.grab) : listOf(s.album) === 'history',
      );
      const page = window(all, start, limit);
      const items: HistorySlot[] = page.map((s) =>
        s.album === null ? unacceptedSlot(viewOf(s.grab)) : historyOf(s.grab, s.album),
      );
      return { history: { paused: deps.paused(), noofslots: all.length, slots: items } };
    },

    /**
     * Lidarr removes a queued item (it gave up on it, or the user did): the album's unfinished
     * tracks are cancelled, and the item leaves the queue. `del_files` changes nothing more: what
     * was filed stays in the library (Lidarr deletes a download's files itself when it wants).
     */
    async deleteFromQueue(ids: readonly string[]) {
      for (const g of await repo.grabsByIds(ids)) {
        if (g.album_id) await deps.albums.cancel(g.album_id).catch(ignoreGone);
      }
      await repo.removeGrabs(ids, deps.now());
      return { status: true, nzo_ids: [...ids] };
    },

    /** Lidarr removes a finished item from the history (after its import, or a failure). */
    async deleteFromHistory(ids: readonly string[]) {
      await repo.removeGrabs(ids, deps.now());
      return { status: true, nzo_ids: [...ids] };
    },

    /** Retries an album's failed and cancelled tracks; the nzo_id stays the same. */
    async retry(id: string) {
      const [g] = await repo.grabsByIds([id]);
      if (!g?.album_id) throw new SabError(`No job ${id}`);
      await deps.albums.retry(g.album_id).catch((error: unknown) => {
        throw new SabError(error instanceof Error ? error.message : String(error));
      });
      return { status: true, nzo_id: id };
    },
  };
}

export type SabService = ReturnType<typeof createSabService>;

/** The job's name in SABnzbd's lists: the release as the Newznab title named it (without peer names). */
export function releaseTitle(r: {
  artist: string;
  album: string;
  year: number | null;
  format: string;
}) {
  const year = r.year ? ` (${r.year})` : '';
  return `${r.artist} - ${r.album}${year} [${r.format.toUpperCase()}]`;
}

/** The history slot of a grab whose process stopped before its album was queued: failed. */
function unacceptedSlot(grab: GrabView): HistorySlot {
  return {
    nzo_id: grab.nzoId,
    name: grab.title,
    nzb_name: `${grab.title}.nzb`,
    category: grab.category,
    status: 'Failed',
    storage: '',
    bytes: grab.size,
    fail_message: UNACCEPTED_MESSAGE,
    download_time: 0,
  };
}

/** SABnzbd's paging: `limit=0` means all. */
function window<T>(items: T[], start: number, limit: number): T[] {
  return items.slice(start, limit > 0 ? start + limit : undefined);
}

function ignoreGone(error: unknown): void {
  if (error instanceof ConflictError || error instanceof NotFoundError) return;
  throw error;
}
