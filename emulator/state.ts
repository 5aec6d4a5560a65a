// The emulator's "database": plain in-memory records shaped like slskd's tables, plus the serializers
// that turn them into slskd's exact JSON. Records survive restart()/stop() just as slskd's SQLite does.
import { type Features, isoDate, newGuid, now, timeSpan } from './format.js';

/** Soulseek.NET TransferStates as slskd writes them (flag names joined in ascending numeric order). */
export type TransferState =
  | 'Queued, Locally'
  | 'Requested'
  | 'Queued, Remotely'
  | 'Initializing'
  | 'InProgress'
  | 'Completed, Succeeded'
  | 'Completed, Cancelled'
  | 'Completed, TimedOut'
  | 'Completed, Errored'
  | 'Completed, Rejected'
  | 'Completed, Aborted';

export interface TransferRecord {
  id: string;
  batchId?: string;
  username: string;
  /** The remote path exactly as enqueued. */
  filename: string;
  /** Bytes, taken from the enqueue request (not from the peer). */
  size: number;
  state: TransferState;
  requestedAt: number;
  enqueuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  bytesTransferred: number;
  averageSpeed: number;
  /** Only written by GET …/position, as in slskd. */
  placeInQueue?: number;
  exception?: string;
  attempts: number;
  removed: boolean;
}

export const isCompleted = (t: { state: string }): boolean => t.state.startsWith('Completed');

export interface BatchRecord {
  id: string;
  searchId?: string;
  username: string;
  createdAt: number;
  destination?: string;
  transferIds: string[];
}

/** A search File object, already in wire shape (absent attributes are undefined). */
export interface SearchFile {
  bitDepth?: number;
  bitRate?: number;
  code: number;
  extension: string;
  filename: string;
  isVariableBitRate?: boolean;
  length?: number;
  sampleRate?: number;
  size: number;
  isLocked: boolean;
}

export interface SearchResponse {
  fileCount: number;
  files: SearchFile[];
  hasFreeUploadSlot: boolean;
  lockedFileCount: number;
  lockedFiles: SearchFile[];
  queueLength: number;
  token: number;
  uploadSpeed: number;
  username: string;
}

export interface SearchRecord {
  id: string;
  searchText: string;
  token: number;
  state: string;
  startedAt: number;
  endedAt?: number;
  responseCount: number;
  fileCount: number;
  lockedFileCount: number;
  /** Filled only when the search is finished (slskd persists responses at the very end). */
  responses: SearchResponse[];
}

export interface EventRecord {
  id: string;
  timestamp: number;
  type: string;
  /** Event payload without id/timestamp/type; null fields kept, as slskd stores it. */
  data: Record<string, unknown>;
}

/** Everything slskd keeps in its databases. Maps preserve insertion order = "database order". */
export interface Store {
  transfers: Map<string, TransferRecord>;
  batches: Map<string, BatchRecord>;
  searches: Map<string, SearchRecord>;
  events: EventRecord[];
}

export const createStore = (): Store => ({
  transfers: new Map(),
  batches: new Map(),
  searches: new Map(),
  events: [],
});

export function addEvent(store: Store, type: string, data: Record<string, unknown>): EventRecord {
  const event = { id: newGuid(), timestamp: now(), type, data: { ...data, version: 0 } };
  store.events.push(event);
  return event;
}

/** The remote directory of a remote path: everything before the last separator. */
export function remoteDirectory(filename: string): string {
  const cut = Math.max(filename.lastIndexOf('\\'), filename.lastIndexOf('/'));
  return cut < 0 ? '' : filename.slice(0, cut);
}

/**
 * A Transfer in slskd's field order. `withNulls` keeps absent fields as null, which is how they appear
 * inside event payloads (the API itself omits them).
 */
export function transferJson(
  t: TransferRecord,
  features: Features,
  withNulls = false,
): Record<string, unknown> {
  const at = now();
  const absent = withNulls ? null : undefined;
  const opt = <T>(v: T | undefined): T | null | undefined => (v === undefined ? absent : v);
  const bytesRemaining = t.size - t.bytesTransferred;
  const out: Record<string, unknown> = {
    batchId: features.batches ? opt(t.batchId) : undefined,
    id: t.id,
    username: t.username,
    direction: 'Download',
    filename: t.filename,
    size: t.size,
    startOffset: features.startOffsetField ? 0 : undefined,
    state: t.state,
    stateDescription: features.stateDescriptionField ? t.state : undefined,
    requestedAt: isoDate(t.requestedAt, false),
    enqueuedAt: opt(t.enqueuedAt === undefined ? undefined : isoDate(t.enqueuedAt, false)),
    startedAt: opt(t.startedAt === undefined ? undefined : isoDate(t.startedAt)),
    endedAt: opt(t.endedAt === undefined ? undefined : isoDate(t.endedAt)),
    bytesTransferred: t.bytesTransferred,
    averageSpeed: t.averageSpeed,
    placeInQueue: opt(t.placeInQueue),
    exception: opt(t.exception),
  };
  if (features.attemptsField) {
    // 0.25 has the column but never increments it.
    out.attempts = features.retries ? t.attempts : 0;
    out.nextAttemptAt = absent;
  }
  if (features.removedField) out.removed = t.removed;
  out.bytesRemaining = bytesRemaining;
  out.elapsedTime = opt(
    t.startedAt === undefined ? undefined : timeSpan((t.endedAt ?? at) - t.startedAt),
  );
  out.percentComplete = t.size === 0 ? 0 : (t.bytesTransferred / t.size) * 100;
  out.remainingTime = opt(
    t.averageSpeed === 0 ? undefined : timeSpan((bytesRemaining / t.averageSpeed) * 1000),
  );
  return out;
}

/** `GET /transfers/downloads` groups: user → remote directory → files, in database order. */
export function groupByUser(transfers: TransferRecord[], features: Features): unknown[] {
  const users = new Map<string, Map<string, TransferRecord[]>>();
  for (const t of transfers) {
    const dirs = users.get(t.username) ?? new Map<string, TransferRecord[]>();
    users.set(t.username, dirs);
    const dir = remoteDirectory(t.filename);
    dirs.set(dir, [...(dirs.get(dir) ?? []), t]);
  }
  return [...users].map(([username, dirs]) => ({
    username,
    directories: [...dirs].map(([directory, files]) => ({
      directory,
      fileCount: files.length,
      files: files.map((f) => transferJson(f, features)),
    })),
  }));
}

export function batchJson(
  batch: BatchRecord,
  store: Store,
  features: Features,
): Record<string, unknown> {
  return {
    searchId: batch.searchId,
    id: batch.id,
    username: batch.username,
    direction: 'Download',
    createdAt: isoDate(batch.createdAt),
    transfers: batch.transferIds
      .map((id) => store.transfers.get(id))
      .filter((t): t is TransferRecord => t !== undefined)
      .map((t) => transferJson(t, features)),
    options: { destination: batch.destination },
  };
}

export function searchJson(s: SearchRecord, includeResponses: boolean): Record<string, unknown> {
  return {
    endedAt: s.endedAt === undefined ? undefined : isoDate(s.endedAt),
    fileCount: s.fileCount,
    id: s.id,
    isComplete: s.state.startsWith('Completed'),
    lockedFileCount: s.lockedFileCount,
    responseCount: s.responseCount,
    responses: includeResponses ? s.responses : [],
    searchText: s.searchText,
    startedAt: isoDate(s.startedAt),
    state: s.state,
    token: s.token,
  };
}
