import type { ErrorCode } from '../../downloads/error-codes.js';
import type { TransferState, TransferStatus } from '../provider.js';
import type { TorrentFile, TorrentInfo } from './qbittorrent.api.js';

/*
 * qBittorrent's dialect → SoulSpot's neutral transfer shapes. Pure: no I/O here.
 *
 * One torrent may serve several downloads (two tracks of one album torrent): each download is a
 * **want**, recorded on the torrent itself as a tag, so a SoulSpot restart reads them back from
 * qBittorrent alone:
 *   `soulspot.<batchId>`          the whole torrent;
 *   `soulspot.<batchId>.<index>`  one file of it (the others at priority 0 unless another want has them);
 *   `soulspot.<batchId>.pick`     one file, not chosen yet (waiting for a magnet's metadata);
 *   `soulspot-done.<…>`           the same, forgotten: filed, left seeding, no longer SoulSpot's.
 * A want's transfer id is `<infoHash>.<batchId>`: stable from the enqueue on, whatever file it picks.
 */

/** Every state qBittorrent 4.x and 5.x report, and what it means for a download. */
export const STATE_TABLE = {
  // Selected files complete: the torrent seeds (or would, but is stopped / queued for upload).
  uploading: 'succeeded',
  stalledUP: 'succeeded',
  forcedUP: 'succeeded',
  queuedUP: 'succeeded',
  pausedUP: 'succeeded', // 4.x
  stoppedUP: 'succeeded', // 5.x
  checkingUP: 'succeeded',
  // Fetching.
  downloading: 'in_progress',
  forcedDL: 'in_progress',
  // No peer sends anything right now: stall rules (stallVerdict) decide how long that may last.
  stalledDL: 'in_progress',
  // Moving files to the save path: not in place yet.
  moving: 'in_progress',
  // Getting ready.
  metaDL: 'initializing',
  forcedMetaDL: 'initializing', // 5.x
  allocating: 'initializing',
  checkingDL: 'initializing',
  checkingResumeData: 'initializing',
  // Waiting on this client (its queue, or stopped by hand).
  queuedDL: 'queued_locally',
  pausedDL: 'queued_locally', // 4.x
  stoppedDL: 'queued_locally', // 5.x
  // Failed.
  error: 'errored',
  missingFiles: 'errored',
  unknown: 'errored',
} as const satisfies Record<string, TransferState>;

export type QbtState = keyof typeof STATE_TABLE;

export function mapState(state: string): TransferState {
  return Object.hasOwn(STATE_TABLE, state) ? STATE_TABLE[state as QbtState] : 'errored';
}

/** States in which no payload moves though the torrent wants some: where a stall can hide. */
const WAITING_FOR_PEERS = new Set<string>(['stalledDL', 'metaDL', 'forcedMetaDL', 'downloading']);

/** The raw text a stalled torrent gets: `describeFailure` recognizes it. */
export const STALLED_RAW = 'stalled';

export interface StallRules {
  noSeedersTimeoutSeconds: number;
  noProgressTimeoutSeconds: number;
}

/**
 * Whether a torrent that is not complete is stalled at `now` (epoch ms), and why; null when not.
 * From qBittorrent's own clock fields (`last_activity`, `added_on`), so a SoulSpot restart loses
 * no stall time: no seeder known (swarm and connected) for `noSeedersTimeoutSeconds`, or no
 * payload at all for `noProgressTimeoutSeconds`.
 */
export function stallVerdict(t: TorrentInfo, rules: StallRules, now: number): string | null {
  if (!WAITING_FOR_PEERS.has(t.state) || t.progress >= 1) return null;
  const since = Math.max(t.last_activity ?? 0, t.added_on ?? 0) * 1000;
  if (since <= 0) return null;
  const idle = (now - since) / 1000;
  const seeders = Math.max(t.num_seeds ?? 0, t.num_complete ?? 0);
  if (seeders === 0 && idle > rules.noSeedersTimeoutSeconds) {
    return `no seeders for ${Math.round(idle)} s`;
  }
  if (idle > rules.noProgressTimeoutSeconds) return `no progress for ${Math.round(idle)} s`;
  return null;
}

export interface Want {
  batchId: string;
  /** A file index, `pick` (not chosen yet) or null (the whole torrent). */
  file: number | 'pick' | null;
  done: boolean;
}

const BATCH = '[0-9a-z][0-9a-z-]{0,63}';
const WANT_TAG = new RegExp(`^soulspot(-done)?\\.(${BATCH})(?:\\.(\\d{1,6}|pick))?$`, 'i');

export function isBatchId(batchId: string): boolean {
  return new RegExp(`^${BATCH}$`, 'i').test(batchId);
}

export function wantTag(want: Want): string {
  const file = want.file === null ? '' : `.${want.file}`;
  return `soulspot${want.done ? '-done' : ''}.${want.batchId.toLowerCase()}${file}`;
}

export function parseTags(tags: string | undefined): string[] {
  return (tags ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** The wants a torrent's tags record (tags SoulSpot did not write are ignored). */
export function wantsOf(t: Pick<TorrentInfo, 'tags'>): Want[] {
  const wants: Want[] = [];
  for (const tag of parseTags(t.tags)) {
    const m = WANT_TAG.exec(tag);
    if (!m?.[2]) continue;
    const file = m[3] === undefined ? null : m[3] === 'pick' ? 'pick' : Number(m[3]);
    wants.push({ batchId: m[2].toLowerCase(), file, done: m[1] !== undefined });
  }
  return wants;
}

export function transferId(hash: string, batchId: string): string {
  return `${hash.toLowerCase()}.${batchId.toLowerCase()}`;
}

export function parseTransferId(id: string): { hash: string; batchId: string } | null {
  const m = new RegExp(`^([0-9a-f]{40})\\.(${BATCH})$`, 'i').exec(id);
  return m?.[1] && m[2] ? { hash: m[1].toLowerCase(), batchId: m[2].toLowerCase() } : null;
}

/**
 * One want of one torrent as a transfer. A file want reports that file (its name and size); its
 * bytes follow the torrent's progress over the selected files, which is the file's own when it is
 * the only one selected. `files` may be null while unknown: the torrent's name and size stand in.
 */
export function mapWant(
  t: TorrentInfo,
  want: Want,
  files: readonly TorrentFile[] | null,
  rules: StallRules,
  now: number,
  /** `files` was just read (its progress figures are current), not taken from the cache. */
  freshFiles = false,
): TransferStatus {
  const file =
    typeof want.file === 'number' ? (files?.find((f) => f.index === want.file) ?? null) : null;
  const size = file?.size ?? t.size;
  let state = want.file === 'pick' ? 'initializing' : mapState(t.state);
  let raw = t.state;
  if (state === 'succeeded' && t.progress < 1) state = 'in_progress'; // rechecking, or a new file selected
  // A file just selected on a seeding torrent: qBittorrent reads "stalledUP, 100 %" until it has
  // recounted, while the file itself is not there yet. Only the file's own progress tells.
  if (state === 'succeeded' && freshFiles && file && file.progress < 1) state = 'in_progress';
  const stall = state === 'succeeded' ? null : stallVerdict(t, rules, now);
  if (stall !== null) {
    state = 'timed_out';
    raw = `${STALLED_RAW}: ${t.state}, ${stall}`;
  }
  // The file list is cached (names and sizes never change), its progress figures are not fresh.
  const progress = Math.min(1, t.progress);
  const status: TransferStatus = {
    id: transferId(t.hash, want.batchId),
    username: t.category ?? '',
    filename: file?.name ?? t.name,
    size,
    state,
    raw,
    bytesTransferred: state === 'succeeded' ? size : Math.round(progress * size),
    // The rate this want's bytes move at: they follow the selection's progress scaled to the
    // file, so the torrent's speed scales the same way. Its bytes left at this speed are the
    // selection's at the torrent's (the monitor's end prediction), and the wants of one torrent
    // sum to its speed (metrics), not to k times it.
    averageSpeed: Math.max(0, t.dlspeed) * (t.size > 0 ? size / t.size : 1),
    percentComplete: state === 'succeeded' ? 100 : Math.round(progress * 1000) / 10,
    batchId: want.batchId,
  };
  if (want.done) status.removed = true;
  if (t.added_on !== undefined) status.requestedAt = t.added_on * 1000;
  return status;
}

/** A transfer that ended without success, in the fixed error codes. */
export function classifyFailure(t: Pick<TransferStatus, 'state' | 'raw'>): {
  code: ErrorCode;
  message: string;
} {
  if (t.state === 'timed_out' || t.raw.startsWith(STALLED_RAW)) {
    return { code: 'queue_timeout', message: `The torrent stalled (${t.raw})` };
  }
  if (t.raw === 'missingFiles') {
    return {
      code: 'file_not_found',
      message: "qBittorrent reports the torrent's files missing from its save path",
    };
  }
  if (t.raw === 'error') {
    return { code: 'transfer_failed', message: 'qBittorrent reports an error for this torrent' };
  }
  if (t.state === 'cancelled') return { code: 'cancelled', message: 'The torrent was removed' };
  return { code: 'transfer_failed', message: `The torrent ended in state "${t.raw}"` };
}
