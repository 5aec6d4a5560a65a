import { stat } from 'node:fs/promises';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import { confinedRealPath } from '../library/confine.js';
import type { DownloadClient, DownloadProvider } from '../providers/provider.js';
import { clientFor } from '../providers/provider-set.js';
import { cancelAtDaemon } from './attempt-transfer.js';
import { ACTIVE_STATUSES, transition } from './download.js';
import { toDownloadDto, type DownloadDto } from './download.dto.js';
import {
  createDownloadRepository,
  type DownloadRepository,
  type DownloadRow,
} from './download.repository.js';
import type { AlbumTrackHook, Logger } from './download.job.js';
import { ConflictError, NotFoundError } from './downloads.errors.js';

/**
 * Commands on one download from outside its worker: cancel, retry, and the return of downloads a
 * local fault failed. Each is one transaction with its `download.updated` event (downloads.service.ts
 * composes them with accepting and reading).
 */
export function createDownloadCommands(deps: {
  handle: DatabaseHandle;
  repo: DownloadRepository;
  events: Pick<EventLog, 'appendMany'>;
  provider: DownloadProvider;
  now: () => number;
  log: Logger;
  runner: { wake(): void; abort(id: string): void };
  /** A command that changes an album track's status announces the album too (src/albums). */
  albums?: Pick<AlbumTrackHook, 'trackChanged'>;
}) {
  const { repo, handle, now } = deps;
  /** The download SQL bound to a transaction, so a command's writes and its event commit together. */
  const inTx = (tx: Db): DownloadRepository => createDownloadRepository({ ...handle, db: tx });
  /** The change's event, with its album's (album.updated) when the download is an album track. */
  const appendUpdated = async (tx: Db, d: DownloadDto, row: DownloadRow) =>
    deps.events.appendMany(tx, [
      { type: 'download.updated', payload: d },
      ...(row.album_id && deps.albums ? await deps.albums.trackChanged(tx, row) : []),
    ]);

  return {
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
      let attempt =
        before.status === 'failed' && RESUMES_FILING.includes(before.error_code ?? '')
          ? await repo.getAttempt(before.current_attempt_id ?? '')
          : undefined;
      // slskd's file removed meanwhile (by hand, or by slskd): filing could only wait for it and
      // fail with file_not_found, so the retry searches and downloads afresh instead.
      if (
        attempt?.state === 'succeeded' &&
        !(await keptFileThere(clientFor(deps.provider, attempt.provider), attempt.local_path))
      )
        attempt = undefined;
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
            search_provider: null,
            // An album track tries its album's folder file first again (then searches, as on its
            // first run); any other download searches afresh.
            candidates: before.pinned_candidates ?? null,
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
        // A release's attempt records the whole release's size: the file's own is on disk.
        const size = !hasFile
          ? 0
          : attempt.release && attempt.local_path
            ? await stat(attempt.local_path).then(
                (s) => s.size,
                () => 0,
              )
            : attempt.size;
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
                    search_provider: null,
                    candidates: row.pinned_candidates ?? null,
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
  };
}

/**
 * Whether the attempt's downloaded file is still in slskd's downloads folder (confined). True when
 * that cannot be told (no downloads folder known): filing then looks for it as it always does.
 */
async function keptFileThere(provider: DownloadClient, file: string | null): Promise<boolean> {
  if (!file) return false;
  const root = await provider.downloadsRoot().catch(() => null);
  if (root === null) return true;
  try {
    return (await stat(await confinedRealPath(root, file))).isFile();
  } catch {
    return false;
  }
}

/** Failures in post-processing: the downloaded file is good, and a retry files it again. */
const RESUMES_FILING = ['tagging_failed', 'cover_failed'];

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
