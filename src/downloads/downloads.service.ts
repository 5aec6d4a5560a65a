import type { WireStatus } from './download.dto.js';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import type { Candidate, DownloadProvider } from '../providers/provider.js';
import { candidateId } from '../matching/candidate-id.js';
import type { StoredCandidates } from './search.step.js';
import { createAcceptRepository } from './accept.repository.js';
import { createGroupCommit } from './accept-batcher.js';
import { acceptRows, newDownloadRow, positionsAt, type AcceptOutcome } from './accept.js';
import { cancelAtDaemon } from './attempt-transfer.js';
import { ACTIVE_STATUSES, transition, type DownloadStatus, type TrackRequest } from './download.js';
import { toDownloadDto, type DownloadDto } from './download.dto.js';
import {
  createDownloadRepository,
  type DownloadRepository,
  type DownloadRow,
} from './download.repository.js';
import type { AlbumTrackHook, Logger } from './download.job.js';
import { BadCursorError, decodeCursor, encodeCursor } from './list-cursor.js';
import {
  checkProfiles,
  isForeignKeyViolation,
  PROFILE_GONE,
  UnknownProfileError,
  type ProfileLookup,
} from './profile-check.js';
import { toCandidatesDto, type CandidatesDto } from './candidates.dto.js';

export { BadCursorError };

export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictError';
  }
}

/** maxQueueSize is reached. The API's error handler answers with `statusCode` and the message. */
export class QueueFullError extends Error {
  readonly statusCode = 429;
  constructor(active: number) {
    super(
      `The queue holds ${active} unfinished downloads, the most maxQueueSize allows; ` +
        'wait for some to finish, cancel some, or raise maxQueueSize (PATCH /api/settings)',
    );
    this.name = 'QueueFullError';
  }
}

export interface ListOptions {
  /** Wire statuses (download.dto.ts): the stored ones plus `paused` and `scheduled`. */
  statuses?: WireStatus[];
  limit: number;
  cursor?: string;
  order: 'newest' | 'oldest';
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
  /** The download SQL bound to a transaction, so a command's writes and its event commit together. */
  const inTx = (tx: Db): DownloadRepository => createDownloadRepository({ ...handle, db: tx });
  /** The change's event, with its album's (album.updated) when the download is an album track. */
  const appendUpdated = async (tx: Db, d: DownloadDto, row: DownloadRow) =>
    deps.events.appendMany(tx, [
      { type: 'download.updated', payload: d },
      ...(row.album_id && deps.albums ? await deps.albums.trackChanged(tx, row) : []),
    ]);

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

  return {
    /**
     * Accepts a track. A second request for a track that is still active returns the first.
     * Resolves only once the row is committed; concurrent requests share that commit.
     */
    async create(
      request: TrackRequest,
      /** Fetch this file first (a manual search's result): stored as the download's pick. */
      source?: Candidate,
    ): Promise<{ download: DownloadDto; created: boolean }> {
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
      await checkProfiles(deps.profiles, requests, true);
      const t = now();
      const positions = positionsAt(t, requests.length);
      const rows = requests.map((r, i) => ({
        ...newDownloadRow(r, t, deps.maxRetries),
        position: positions[i] as string,
      }));
      const result: BulkResult = { created: 0, existing: 0, duplicate: 0, rejected: 0, items: [] };
      const firstIndexOf = new Map<string, number>();
      let lastRejected = 0;
      for (let start = 0; start < rows.length; start += BULK_CHUNK) {
        const chunk = rows.slice(start, start + BULK_CHUNK);
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
      if (rows.some((r) => r.hold === 'scheduled')) deps.scheduled?.();
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
      const after = options.cursor ? decodeCursor(options.cursor) : undefined;
      const rows = await repo.list({
        statuses: options.statuses,
        limit: options.limit + 1,
        after,
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
        nextCursor: rows.length > options.limit && last ? encodeCursor(last) : null,
      };
    },

    /** Cancels an active download, here and at the daemon. */
    async cancel(id: string): Promise<DownloadDto> {
      const before = await repo.get(id);
      if (!before) throw new NotFoundError(`Download ${id}`);
      const done = await handle.writeTx(async (tx) => {
        const r = inTx(tx);
        const t = now();
        const row = await r.commandUpdate(id, ACTIVE_STATUSES, {
          status: 'cancelled',
          error_code: 'cancelled',
          error_message: 'Cancelled by the user',
          queue_position: null,
          next_retry_at: null,
          updated_at: t,
        });
        if (!row) return undefined;
        const attempt = row.current_attempt_id
          ? await r.getAttempt(row.current_attempt_id)
          : undefined;
        const open = attempt && (attempt.state === 'enqueued' || attempt.state === 'pending');
        if (open) {
          // Closed in the cancel's own transaction: a worker whose enqueue is still in flight then
          // finds it closed and cancels what it created (transfer.step.ts runAttempt).
          await r.commandUpdateAttempt(attempt.id, {
            state: 'cancelled',
            error_code: 'cancelled',
            error_message: 'Cancelled by the user',
            updated_at: t,
            finished_at: t,
          });
        }
        const download = toDownloadDto(row, await r.attemptsFor([id]));
        await appendUpdated(tx, download, row);
        return { download, attempt: open ? attempt : undefined };
      });
      if (!done)
        throw new ConflictError(`Download ${id} is ${before.status} and cannot be cancelled`);
      deps.runner.abort(id);
      if (done.attempt) {
        await cancelAtDaemon(deps.provider, done.attempt, (error) => {
          deps.log.warn({ id, error: String(error) }, 'could not cancel the transfer at slskd');
        });
      }
      return done.download;
    },

    /**
     * Starts a failed or cancelled download again from a fresh search, with its retries reset; one
     * that failed in post-processing resumes filing from the step that failed, with the file it has.
     */
    async retry(id: string): Promise<DownloadDto> {
      const before = await repo.get(id);
      if (!before) throw new NotFoundError(`Download ${id}`);
      const attempt =
        before.status === 'failed' && RESUMES_FILING.includes(before.error_code ?? '')
          ? await repo.getAttempt(before.current_attempt_id ?? '')
          : undefined;
      let download: DownloadDto | undefined;
      try {
        download = await handle.writeTx(async (tx) => {
          const r = inTx(tx);
          const t = now();
          if (attempt?.state === 'succeeded') {
            // No new search, no new transfer: the next claim files this attempt's file again,
            // and post-processing carries on from the step it recorded (post-process.step.ts).
            const row = await r.commandUpdate(id, ['failed'], {
              status: transition('failed', 'resume'),
              error_code: null,
              error_message: null,
              next_retry_at: null,
              run_after: t,
              updated_at: t,
            });
            if (!row) return undefined;
            const d = toDownloadDto(row, await r.attemptsFor([id]));
            await appendUpdated(tx, d, row);
            return d;
          }
          // Sources tried before count again: the user may have unblocked a peer since.
          if (before.status === 'failed' || before.status === 'cancelled')
            await r.retireAttempts(id);
          const row = await r.commandUpdate(id, ['failed', 'cancelled'], {
            status: 'waiting',
            retry_count: 0,
            next_retry_at: null,
            run_after: t,
            error_code: null,
            error_message: null,
            search_id: null,
            query_index: 0,
            candidates: null,
            current_attempt_id: null,
            progress: 0,
            bytes_transferred: 0,
            updated_at: t,
          });
          if (!row) return undefined;
          const d = toDownloadDto(row, await r.attemptsFor([id]));
          await appendUpdated(tx, d, row);
          return d;
        });
      } catch (error) {
        // The unique index: another active download for this track exists already.
        if (isUniqueViolation(error)) {
          throw new ConflictError('Another download of this track is already active');
        }
        throw error;
      }
      if (!download)
        throw new ConflictError(
          `Download ${id} is ${before.status}; only failed or cancelled downloads can be retried`,
        );
      deps.runner.wake();
      return download;
    },

    /**
     * Downloads failed by a local fault (disk full, no permission) go back to filing the file they
     * already have, or to a new search when they have none. Called when the library can take files again.
     */
    async resumeLocalFaults(freeBytes: number, minFreeBytes: number): Promise<number> {
      const rows = await repo.failedWithCodes(['disk_full', 'permission_denied']);
      let room = freeBytes - minFreeBytes;
      let resumed = 0;
      for (const row of rows) {
        const attempt = row.current_attempt_id
          ? await repo.getAttempt(row.current_attempt_id)
          : undefined;
        const hasFile = attempt?.state === 'succeeded';
        const size = hasFile ? attempt.size : 0;
        // The same rule filing applies (library/disk.ts ensureRoom): resume only what fits.
        if (size > room) continue;
        room -= size;
        let updated: DownloadRow | undefined;
        try {
          updated = await handle.writeTx(async (tx) => {
            const r = inTx(tx);
            const t = now();
            if (!hasFile) await r.retireAttempts(row.id);
            const u = await r.commandUpdate(row.id, ['failed'], {
              status: hasFile ? 'processing' : 'waiting',
              error_code: null,
              error_message: null,
              run_after: t,
              updated_at: t,
              ...(hasFile
                ? {}
                : {
                    retry_count: 0,
                    search_id: null,
                    query_index: 0,
                    candidates: null,
                    current_attempt_id: null,
                  }),
            });
            if (u) await appendUpdated(tx, toDownloadDto(u, await r.attemptsFor([row.id])), u);
            return u;
          });
        } catch (error) {
          // The user asked for this track again meanwhile: that download carries on instead.
          if (isUniqueViolation(error)) continue;
          throw error;
        }
        if (!updated) continue;
        resumed++;
      }
      if (resumed > 0) deps.runner.wake();
      return resumed;
    },

    /** Accepts that shared a commit (group commit), for the benchmark. */
    acceptStats: accepts.stats,

    counts: () => repo.countByStatus(),
  };
}

export type DownloadsService = ReturnType<typeof createDownloadsService>;

/** Failures in post-processing: the downloaded file is good, and a retry files it again. */
const RESUMES_FILING = ['tagging_failed', 'cover_failed'];

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
