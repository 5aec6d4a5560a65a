import type { WireStatus } from './download.dto.js';
import type { DatabaseHandle } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import type { Candidate, DownloadProvider } from '../providers/provider.js';
import { candidateId } from '../matching/candidate-id.js';
import type { StoredCandidates } from './search.step.js';
import { createAcceptRepository } from './accept.repository.js';
import { createGroupCommit } from './accept-batcher.js';
import { acceptRows, newDownloadRow, positionsAt, type AcceptOutcome } from './accept.js';
import type { DownloadStatus, TrackRequest } from './download.js';
import { toDownloadDto, type DownloadDto } from './download.dto.js';
import type { DownloadRepository, DownloadRow } from './download.repository.js';
import type { AlbumTrackHook, Logger } from './download.job.js';
import {
  BadCursorError,
  decodeCursor,
  decodeQueueCursor,
  encodeCursor,
  encodeQueueCursor,
} from './list-cursor.js';
import {
  checkProfiles,
  isForeignKeyViolation,
  PROFILE_GONE,
  UnknownProfileError,
  type ProfileLookup,
} from './profile-check.js';
import { toCandidatesDto, type CandidatesDto } from './candidates.dto.js';
import { createDownloadCommands } from './download-commands.js';
import { checkPreferredProviders } from './provider-check.js';
import { NotFoundError, QueueFullError } from './downloads.errors.js';

export { BadCursorError };

export { ConflictError, NotFoundError, QueueFullError } from './downloads.errors.js';

export interface ListOptions {
  /** Wire statuses (download.dto.ts): the stored ones plus `paused` and `scheduled`. */
  statuses?: WireStatus[];
  limit: number;
  cursor?: string;
  order: 'newest' | 'oldest' | 'queue';
  provider?: string;
  text?: string;
}

/** One item of a bulk request, as answered. */
export interface BulkItemResult {
  index: number;
  /** created | existing (an active download of the track) | duplicate (an earlier item) | rejected */
  result: 'created' | 'existing' | 'duplicate' | 'rejected';
  /** The download; null when rejected. */
  id: string | null;
  status: DownloadStatus | null;
  /** duplicate: the index of the earlier item it repeats. */
  duplicateOf?: number;
}

export interface BulkResult {
  created: number;
  existing: number;
  duplicate: number;
  rejected: number;
  items: BulkItemResult[];
}

/** Items per transaction of a bulk accept: big enough to share fsyncs, small enough not to hold the writer long. */
export const BULK_CHUNK = 1000;
/** Concurrent single accepts sharing one commit, at most. */
const GROUP_COMMIT_MAX = 256;

/** Commands and queries on downloads: what routes call. The pipeline does the work itself. */
export function createDownloadsService(deps: {
  handle: DatabaseHandle;
  repo: DownloadRepository;
  /** Every change is appended here inside the transaction of its write. */
  events: Pick<EventLog, 'appendMany'>;
  provider: DownloadProvider;
  maxRetries: number;
  /** maxQueueSize (0 = no limit), read at each accept. */
  maxQueueSize: () => number;
  /** Concurrent accepts share a commit (default); false: one commit per request. */
  groupCommit?: boolean;
  now: () => number;
  log: Logger;
  /** Tells the queue runner there is new work, or to drop a job at once. */
  runner: { wake(): void; abort(id: string): void };
  /** A download was created scheduled: the schedule timer may have to wake sooner. */
  scheduled?: () => void;
  /** Checks the quality profiles requests name; absent = not checked (the foreign key still is). */
  profiles?: ProfileLookup;
  /** Switches an active download to a given file (a create with `source` for a track already asked for). */
  picks?: { pickFile(id: string, candidate: Candidate): Promise<DownloadDto> };
  /** A command that changes an album track's status announces the album too (src/albums). */
  albums?: Pick<AlbumTrackHook, 'trackChanged'>;
}) {
  const { repo, handle, now } = deps;
  const accept = createAcceptRepository(handle.dialect);

  const dto = async (row: DownloadRow): Promise<DownloadDto> =>
    toDownloadDto(row, await repo.attemptsFor([row.id]));

  const accepts = createGroupCommit({
    enabled: deps.groupCommit ?? true,
    maxBatch: GROUP_COMMIT_MAX,
    commit: (rows: ReturnType<typeof newDownloadRow>[]) =>
      handle.writeTx((tx) =>
        acceptRows({ accept, events: deps.events }, tx, rows, deps.maxQueueSize()),
      ),
  });

  /** A profile deleted between the check and the insert: the foreign key answers, as a 400. */
  const profileGone = (error: unknown): never => {
    if (isForeignKeyViolation(error)) throw new UnknownProfileError(PROFILE_GONE);
    throw error;
  };

  const existingDto = async (o: AcceptOutcome): Promise<DownloadDto> => {
    if (o.kind === 'rejected') throw new QueueFullError(o.active);
    return dto(o.row);
  };

  const commands = createDownloadCommands({
    handle,
    repo,
    events: deps.events,
    provider: deps.provider,
    now,
    log: deps.log,
    runner: deps.runner,
    ...(deps.albums ? { albums: deps.albums } : {}),
  });

  return {
    ...commands,

    /**
     * Accepts a track. A second request for a track that is still active returns the first.
     * Resolves only once the row is committed; concurrent requests share that commit.
     */
    async create(
      request: TrackRequest,
      /** Fetch this file first (a manual search's result): stored as the download's pick. */
      source?: Candidate,
    ): Promise<{ download: DownloadDto; created: boolean }> {
      checkPreferredProviders(deps.provider, [request], false);
      await checkProfiles(deps.profiles, [request], false);
      const t = now();
      const row = newDownloadRow(request, t, deps.maxRetries);
      if (source) {
        const stored: StoredCandidates = {
          query: '',
          ranked: [],
          rejected: [],
          pick: {
            candidateId: candidateId(source),
            candidate: source,
            from: 'search',
            pickedAt: t,
          },
        };
        row.candidates = JSON.stringify(stored);
      }
      const outcome = await accepts.submit(row).catch(profileGone);
      if (outcome.kind !== 'created') {
        if (source && outcome.kind === 'existing' && deps.picks)
          return { download: await deps.picks.pickFile(outcome.row.id, source), created: false };
        return { download: await existingDto(outcome), created: false };
      }
      deps.runner.wake();
      if (outcome.row.hold === 'scheduled') deps.scheduled?.();
      return { download: toDownloadDto(outcome.row, []), created: true };
    },

    /**
     * Accepts many tracks in order, BULK_CHUNK to a transaction. Tracks with an active download and
     * repeats within the request are reported, not created; new ones beyond maxQueueSize are
     * rejected (a QueueFullError when not a single one could be taken).
     */
    async bulk(requests: TrackRequest[]): Promise<BulkResult> {
      checkPreferredProviders(deps.provider, requests, true);
      await checkProfiles(deps.profiles, requests, true);
      const t = now();
      const positions = positionsAt(t, requests.length);
      const result: BulkResult = { created: 0, existing: 0, duplicate: 0, rejected: 0, items: [] };
      const firstIndexOf = new Map<string, number>();
      let lastRejected = 0;
      let scheduled = false;
      for (let start = 0; start < requests.length; start += BULK_CHUNK) {
        // Rows are made a chunk at a time: 10,000 full rows held for the whole request would be
        // ~10 MB live at once, which the collector answers by growing the heap (resident memory).
        const chunk = requests.slice(start, start + BULK_CHUNK).map((r, k) => ({
          ...newDownloadRow(r, t, deps.maxRetries),
          position: positions[start + k] as string,
        }));
        if (chunk.some((r) => r.hold === 'scheduled')) scheduled = true;
        const outcomes = await handle
          .writeTx((tx) =>
            acceptRows({ accept, events: deps.events }, tx, chunk, deps.maxQueueSize()),
          )
          .catch(profileGone);
        outcomes.forEach((o, k) => {
          const index = start + k;
          const key = chunk[k]?.dedupe_key as string;
          const earlier = firstIndexOf.get(key);
          if (o.kind === 'rejected') {
            result.rejected++;
            lastRejected = o.active;
            result.items.push({ index, result: 'rejected', id: null, status: null });
            return;
          }
          if (earlier === undefined) firstIndexOf.set(key, index);
          // A repeat of an item in an earlier chunk finds that one's row as "existing".
          const repeat =
            o.kind === 'duplicate' ? start + o.of : earlier !== undefined ? earlier : undefined;
          const kind =
            repeat !== undefined ? 'duplicate' : o.kind === 'created' ? 'created' : 'existing';
          result[kind]++;
          result.items.push({
            index,
            result: kind,
            id: o.row.id,
            status: o.row.status as DownloadStatus,
            ...(repeat !== undefined ? { duplicateOf: repeat } : {}),
          });
        });
      }
      if (result.created > 0) deps.runner.wake();
      if (scheduled) deps.scheduled?.();
      if (result.rejected > 0 && result.created === 0) throw new QueueFullError(lastRejected);
      return result;
    },

    async get(id: string): Promise<DownloadDto> {
      const row = await repo.get(id);
      if (!row) throw new NotFoundError(`Download ${id}`);
      return dto(row);
    },

    /** The last search's candidates, ranked and rejected, each with its reasons. */
    async candidates(id: string): Promise<CandidatesDto> {
      const row = await repo.get(id);
      if (!row) throw new NotFoundError(`Download ${id}`);
      return toCandidatesDto(row, await repo.attemptsFor([id]));
    },

    async list(options: ListOptions): Promise<{ items: DownloadDto[]; nextCursor: string | null }> {
      const queue = options.order === 'queue';
      // A cursor only continues the order it came from: the other order's cursor is a 400.
      const cursor = options.cursor
        ? queue
          ? { afterQueued: decodeQueueCursor(options.cursor) }
          : { after: decodeCursor(options.cursor) }
        : {};
      const rows = await repo.list({
        statuses: options.statuses,
        ...(options.provider !== undefined ? { provider: options.provider } : {}),
        ...(options.text !== undefined ? { text: options.text } : {}),
        limit: options.limit + 1,
        ...cursor,
        order: options.order,
      });
      const page = rows.slice(0, options.limit);
      const attempts = await repo.attemptsFor(page.map((r) => r.id));
      const byDownload = new Map<string, typeof attempts>();
      for (const a of attempts)
        byDownload.set(a.download_id, [...(byDownload.get(a.download_id) ?? []), a]);
      const last = page.at(-1);
      return {
        items: page.map((r) => toDownloadDto(r, byDownload.get(r.id) ?? [])),
        nextCursor:
          rows.length > options.limit && last
            ? queue
              ? encodeQueueCursor(last)
              : encodeCursor(last)
            : null,
      };
    },

    /** Accepts that shared a commit (group commit), for the benchmark. */
    acceptStats: accepts.stats,

    counts: () => repo.countByStatus(),
  };
}

export type DownloadsService = ReturnType<typeof createDownloadsService>;
