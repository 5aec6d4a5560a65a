import type { DatabaseHandle, Db } from '../db/database.js';
import type { RecordedFile } from '../library/sweep.js';
import type { Lease } from '../queue/queue.repository.js';
import { ACTIVE_STATUSES, transition } from './download.js';
import type { DownloadRow } from './download.repository.js';
import { errorPolicy, isErrorCode } from './error-codes.js';

/**
 * After a local fault slskd's copy is kept on purpose: the download is filed from it later (disk
 * full, permissions, a post-processing step that failed and is retried from that step).
 */
const keepsFile = (code: string | null): boolean =>
  code !== null && isErrorCode(code) && errorPolicy(code).local;

/** The SQL of filing that is not an ordinary fenced write, and of the downloads-folder sweep. */
export function createFilingRepository(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    /**
     * A cancel that arrived while the file was being placed: the placed file wins and the download
     * ends completed with it. Only when that cancel is the one and only command since this worker's
     * claim (token + 1), on the same attempt; 0 rows (a retry or another claim came since) → false.
     */
    async completeAfterCancel(
      lease: Lease,
      attemptId: string,
      patch: { library_path: string; completed_at: number; updated_at: number },
      tx: Db = db,
    ): Promise<DownloadRow | undefined> {
      return tx
        .updateTable('downloads')
        .set({
          ...patch,
          status: transition('cancelled', 'filed_after_cancel'),
          progress: 100,
          error_code: null,
          error_message: null,
          next_retry_at: null,
        })
        .where('id', '=', lease.downloadId)
        .where('status', '=', 'cancelled')
        .where('current_attempt_id', '=', attemptId)
        .where('lease_token', '=', lease.token + 1)
        .returningAll()
        .executeTakeFirst();
    },

    /** Every file an attempt recorded as slskd's copy, with whether its download still needs it. */
    async recordedFiles(): Promise<RecordedFile[]> {
      const rows = await db
        .selectFrom('attempts')
        .innerJoin('downloads', 'downloads.id', 'attempts.download_id')
        .select([
          'attempts.local_path',
          'attempts.size',
          'downloads.status',
          'downloads.error_code',
        ])
        .where('attempts.local_path', 'is not', null)
        .execute();
      const active: readonly string[] = ACTIVE_STATUSES;
      return rows.map((r) => ({
        path: r.local_path as string,
        size: Number(r.size),
        need: active.includes(r.status)
          ? 'active'
          : r.status === 'failed' && keepsFile(r.error_code)
            ? 'kept'
            : 'finished',
      }));
    },
  };
}

export type FilingRepository = ReturnType<typeof createFilingRepository>;
