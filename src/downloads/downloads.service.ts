import type { WireStatus } from './download.dto.js';
import { randomUUID } from 'node:crypto';
import type { EventBus } from '../events/event-bus.js';
import type { DownloadProvider } from '../providers/provider.js';
import { cancelAtDaemon } from './attempt-transfer.js';
import { ACTIVE_STATUSES, dedupeKey, type TrackRequest } from './download.js';
import { toDownloadDto, type DownloadDto } from './download.dto.js';
import type { DownloadRepository, DownloadRow } from './download.repository.js';
import type { Logger } from './download.job.js';
import { keyForTime } from './queue-order.js';

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

export interface ListOptions {
  /** Wire statuses (download.dto.ts): the stored ones plus `paused` and `scheduled`. */
  statuses?: WireStatus[];
  limit: number;
  cursor?: string;
  order: 'newest' | 'oldest';
}

/** Commands and queries on downloads: what routes call. The pipeline does the work itself. */
export function createDownloadsService(deps: {
  repo: DownloadRepository;
  bus: EventBus;
  provider: DownloadProvider;
  maxRetries: number;
  now: () => number;
  log: Logger;
  /** Tells the queue runner there is new work, or to drop a job at once. */
  runner: { wake(): void; abort(id: string): void };
}) {
  const { repo, bus, now } = deps;

  const dto = async (row: DownloadRow): Promise<DownloadDto> =>
    toDownloadDto(row, await repo.attemptsFor([row.id]));

  const publish = async (row: DownloadRow): Promise<DownloadDto> => {
    const d = await dto(row);
    bus.emit('download.updated', d);
    return d;
  };

  return {
    /** Accepts a track. A second request for a track that is still active returns the first. */
    async create(request: TrackRequest): Promise<{ download: DownloadDto; created: boolean }> {
      const t = now();
      const { row, created } = await repo.insertUnlessActive({
        id: randomUUID(),
        status: 'waiting',
        artist: request.artist.trim(),
        title: request.title.trim(),
        album: request.album?.trim() || null,
        album_artist: request.albumArtist?.trim() || null,
        track_number: request.trackNumber ?? null,
        disc_number: request.discNumber ?? null,
        year: request.year ?? null,
        genre: request.genre?.trim() || null,
        duration_seconds: request.durationSeconds ?? null,
        dedupe_key: dedupeKey(request),
        priority: request.priority ?? 0,
        progress: 0,
        bytes_transferred: 0,
        size: null,
        retry_count: 0,
        max_retries: deps.maxRetries,
        next_retry_at: null,
        run_after: t,
        error_code: null,
        error_message: null,
        search_id: null,
        query_index: 0,
        candidates: null,
        current_attempt_id: null,
        queue_position: null,
        library_path: null,
        lease_owner: null,
        lease_expires_at: null,
        lease_token: 0,
        created_at: t,
        updated_at: t,
        completed_at: null,
        position: keyForTime(t),
        hold: 'none',
        scheduled_at: null,
      });
      if (!created) return { download: await dto(row), created };
      deps.runner.wake();
      // A new download has no attempts yet: no need to read them.
      const download = toDownloadDto(row, []);
      bus.emit('download.updated', download);
      return { download, created };
    },

    async get(id: string): Promise<DownloadDto> {
      const row = await repo.get(id);
      if (!row) throw new NotFoundError(`Download ${id}`);
      return dto(row);
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
      const row = await repo.commandUpdate(id, ACTIVE_STATUSES, {
        status: 'cancelled',
        error_code: 'cancelled',
        error_message: 'Cancelled by the user',
        queue_position: null,
        next_retry_at: null,
        updated_at: now(),
      });
      if (!row)
        throw new ConflictError(`Download ${id} is ${before.status} and cannot be cancelled`);
      deps.runner.abort(id);
      const attempt = row.current_attempt_id
        ? await repo.getAttempt(row.current_attempt_id)
        : undefined;
      if (attempt && (attempt.state === 'enqueued' || attempt.state === 'pending')) {
        // Close the attempt first: a worker whose enqueue is still in flight then finds it closed
        // and cancels what it created (transfer.step.ts runAttempt).
        await repo.commandUpdateAttempt(attempt.id, {
          state: 'cancelled',
          error_code: 'cancelled',
          error_message: 'Cancelled by the user',
          updated_at: now(),
          finished_at: now(),
        });
        await cancelAtDaemon(deps.provider, attempt, (error) => {
          deps.log.warn({ id, error: String(error) }, 'could not cancel the transfer at slskd');
        });
      }
      return publish((await repo.get(id)) ?? row);
    },

    /** Starts a failed or cancelled download again from a fresh search, with its retries reset. */
    async retry(id: string): Promise<DownloadDto> {
      const before = await repo.get(id);
      if (!before) throw new NotFoundError(`Download ${id}`);
      const t = now();
      let row: DownloadRow | undefined;
      try {
        // Sources tried before count again: the user may have unblocked a peer since.
        if (before.status === 'failed' || before.status === 'cancelled')
          await repo.retireAttempts(id);
        row = await repo.commandUpdate(id, ['failed', 'cancelled'], {
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
      } catch (error) {
        // The unique index: another active download for this track exists already.
        if (isUniqueViolation(error)) {
          throw new ConflictError('Another download of this track is already active');
        }
        throw error;
      }
      if (!row)
        throw new ConflictError(
          `Download ${id} is ${before.status}; only failed or cancelled downloads can be retried`,
        );
      deps.runner.wake();
      return publish(row);
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
        const t = now();
        if (!hasFile) await repo.retireAttempts(row.id);
        let updated: DownloadRow | undefined;
        try {
          updated = await repo.commandUpdate(row.id, ['failed'], {
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
        } catch (error) {
          // The user asked for this track again meanwhile: that download carries on instead.
          if (isUniqueViolation(error)) continue;
          throw error;
        }
        if (!updated) continue;
        resumed++;
        await publish(updated);
      }
      if (resumed > 0) deps.runner.wake();
      return resumed;
    },

    counts: () => repo.countByStatus(),
  };
}

export type DownloadsService = ReturnType<typeof createDownloadsService>;

function encodeCursor(row: DownloadRow): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

const ROW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    // Only what encodeCursor makes: base64url of [epoch-ms integer, row id (a UUID)]. Anything
    // else would reach the keyset query as a value PostgreSQL cannot compare with a BIGINT or hold
    // in text (a 500), and Buffer's decoder would otherwise skip characters outside the alphabet.
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('alphabet');
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) throw new Error('shape');
    const [createdAt, id] = value as unknown[];
    if (!Number.isSafeInteger(createdAt) || typeof id !== 'string' || !ROW_ID.test(id))
      throw new Error('shape');
    return { createdAt: createdAt as number, id };
  } catch {
    throw new BadCursorError();
  }
}

export class BadCursorError extends Error {
  constructor() {
    super('cursor is not valid; use the nextCursor value of the previous page');
    this.name = 'BadCursorError';
  }
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
