import path from 'node:path';
import type { AlbumStatus } from '../albums/album-status.js';
import type { AlbumDto } from '../albums/albums.dto.js';

/** An album's status on the wire (albums.dto.ts ALBUM_WIRE_STATUSES). */
export type AlbumWireStatus = AlbumStatus | 'searching';

/**
 * How a SoulSpot album looks through the SABnzbd API Lidarr reads (pure). Lidarr's Sabnzbd.cs
 * reads a queue slot's `status` (Queued/Grabbing/Propagating → queued, Paused → paused, anything
 * else → downloading), `mb`/`mbleft` (MB, decimals), `timeleft` (`h:mm:ss`, parsed strictly),
 * `priority` (a SabnzbdPriority name), `cat`, `filename`, `nzo_id`; a history slot's `status`
 * (Completed → import, Failed → failed, anything else → still downloading), `storage` (the folder
 * it imports), `bytes`, `fail_message`, `category`, `name`.
 */

/** Where an album is shown, by its wire status: a data table, checked whole by its test. */
export const SAB_VIEW: Record<
  AlbumWireStatus,
  | { list: 'queue'; status: 'Queued' | 'Downloading' }
  | { list: 'history'; status: 'Completed' | 'Failed' }
> = {
  searching: { list: 'queue', status: 'Queued' },
  wanted: { list: 'queue', status: 'Queued' },
  downloading: { list: 'queue', status: 'Downloading' },
  completed: { list: 'history', status: 'Completed' },
  // Some tracks arrived, the rest failed: Lidarr imports what is there, and the missing tracks
  // stay wanted in Lidarr (it searches them again), which is what a user expects of a partial album.
  partial: { list: 'history', status: 'Completed' },
  failed: { list: 'history', status: 'Failed' },
  cancelled: { list: 'history', status: 'Failed' },
  empty: { list: 'history', status: 'Failed' },
};

/** SabnzbdPriority (SabnzbdPriority.cs): the number `addfile` receives, the name the queue shows. */
export const SAB_PRIORITIES: Record<number, string> = {
  [-100]: 'Default',
  [-2]: 'Paused',
  [-1]: 'Low',
  0: 'Normal',
  1: 'High',
  2: 'Force',
};

export interface GrabView {
  nzoId: string;
  title: string;
  category: string;
  priority: number;
  /** The release's bytes as the search found them (before the tracks have their sources). */
  size: number;
}

export interface QueueSlot {
  nzo_id: string;
  filename: string;
  cat: string;
  mb: string;
  mbleft: string;
  percentage: string;
  status: string;
  timeleft: string;
  priority: string;
  index: number;
}

export interface HistorySlot {
  nzo_id: string;
  name: string;
  nzb_name: string;
  category: string;
  status: string;
  storage: string;
  bytes: number;
  fail_message: string;
  download_time: number;
}

const MB = 1024 * 1024;

/** Bytes of the album: its tracks' sources once known, else the release's. */
function bytesOf(grab: GrabView, album: AlbumDto | null): { total: number; done: number } {
  const tracks = album?.tracks ?? [];
  const known = tracks.reduce((n, t) => n + (t.source?.size ?? 0), 0);
  const done = tracks.reduce(
    (n, t) => n + (t.status === 'completed' ? (t.source?.size ?? 0) : 0),
    0,
  );
  return { total: Math.max(known, grab.size, done), done };
}

/** `h:mm:ss`, the form Lidarr's SabnzbdQueueTimeConverter parses (it refuses anything else). */
export function sabTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** Which list a grab is in: a grab whose album is not accepted yet is queued. */
export function listOf(album: AlbumDto | null): 'queue' | 'history' {
  return album ? SAB_VIEW[album.status as AlbumWireStatus].list : 'queue';
}

export function queueSlot(grab: GrabView, album: AlbumDto | null, index: number): QueueSlot {
  const view = album ? SAB_VIEW[album.status as AlbumWireStatus] : { status: 'Queued' };
  const { total, done } = bytesOf(grab, album);
  const left = Math.max(0, total - done);
  return {
    nzo_id: grab.nzoId,
    filename: grab.title,
    cat: grab.category,
    mb: (total / MB).toFixed(2),
    mbleft: (left / MB).toFixed(2),
    percentage: String(total > 0 ? Math.floor((done / total) * 100) : 0),
    status: view.status,
    // SoulSpot does not predict peers' speeds; 0 reads as "unknown" in Lidarr's queue.
    timeleft: sabTime(0),
    priority: SAB_PRIORITIES[grab.priority] ?? 'Normal',
    index,
  };
}

/**
 * The history slot; `storage` is the album's folder as Lidarr sees it (the caller maps the path),
 * empty while nothing was filed.
 */
export function historySlot(grab: GrabView, album: AlbumDto, storage: string): HistorySlot {
  const view = SAB_VIEW[album.status as AlbumWireStatus];
  const { total } = bytesOf(grab, album);
  const failed =
    album.tracks?.filter((t) => t.status === 'failed' || t.status === 'cancelled') ?? [];
  const reason =
    view.status === 'Failed'
      ? (album.folderSearch.error ??
        failed.find((t) => t.errorMessage)?.errorMessage ??
        `SoulSpot could not download the album (${album.status})`)
      : '';
  const started = Date.parse(album.createdAt);
  const ended = album.completedAt ? Date.parse(album.completedAt) : Date.parse(album.updatedAt);
  return {
    nzo_id: grab.nzoId,
    name: grab.title,
    nzb_name: `${grab.title}.nzb`,
    category: grab.category,
    status: view.status,
    storage,
    bytes: total,
    fail_message: reason,
    download_time: Math.max(0, Math.round((ended - started) / 1000)),
  };
}

/**
 * The folder an album was filed in: the deepest folder holding every filed track (one folder for
 * an album under the default naming pattern; the album folder above "Disc n" folders otherwise).
 * null when no track has been filed.
 */
export function albumFolder(libraryPaths: readonly string[]): string | null {
  const dirs = libraryPaths.map((p) => p.replaceAll('\\', '/').split('/').slice(0, -1));
  const first = dirs[0];
  if (!first) return null;
  let n = first.length;
  for (const d of dirs) {
    let i = 0;
    while (i < n && i < d.length && d[i] === first[i]) i++;
    n = i;
  }
  const common = first.slice(0, n).join('/');
  return common === '' ? (first[0] === '' ? '/' : null) : common;
}

export const NOT_ONE_FOLDER =
  "the album's files were filed in several folders of the library, not in one folder of their own, so there is no folder Lidarr can import alone";

/**
 * The folder Lidarr is to import an album from: albumFolder of its filed tracks (relative to the
 * library, or absolute), and only when it is a folder inside the library. The library itself (the
 * tracks went to different artist folders) or anything outside it would have Lidarr import, and
 * move, everything there: `problem` then says why there is none. null: nothing filed yet.
 */
export function importFolder(
  libraryDir: string,
  libraryPaths: readonly string[],
): { folder: string } | { problem: string } | null {
  const root = path.resolve(libraryDir);
  const folder = albumFolder(libraryPaths.map((p) => path.resolve(root, p)));
  if (folder === null) return libraryPaths.length > 0 ? { problem: NOT_ONE_FOLDER } : null;
  const inside = path.relative(root, path.resolve(folder));
  if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside))
    return { problem: NOT_ONE_FOLDER };
  return { folder: path.resolve(folder) };
}
