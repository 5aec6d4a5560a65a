import { sql, type Updateable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { DownloadsTable } from '../db/schema.js';
import type { AttemptRow, DownloadRow } from './download.repository.js';

/**
 * SQL of a manual source pick (source-pick.service.ts). One operation per function, each run
 * inside the pick's transaction.
 */
export function createSourcePickRepository(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    get(id: string, tx: Db): Promise<DownloadRow | undefined> {
      return tx.selectFrom('downloads').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /**
     * Points the download at its picked source, as read at `readUpdatedAt`: 0 rows (undefined)
     * when its status is not one of `from`, or a worker wrote it since (the caller reads again).
     * The lease goes and the fencing token moves on, so the worker that held it can write nothing
     * more; a download parked at its source is parked no longer.
     */
    switchSource(
      id: string,
      from: readonly string[],
      readUpdatedAt: number,
      patch: Updateable<DownloadsTable>,
      tx: Db,
    ): Promise<DownloadRow | undefined> {
      return tx
        .updateTable('downloads')
        .set({
          ...patch,
          lease_owner: null,
          lease_expires_at: null,
          lease_token: sql<number>`lease_token + 1`,
          source_wait: null,
          source_wait_since: null,
        })
        .where('id', '=', id)
        .where('status', 'in', from)
        .where('updated_at', '=', readUpdatedAt)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Makes a switched download due now, unless it changed since the switch (`token`): the switch
     * held it back while the old transfer was cancelled at the daemon.
     */
    async dueNow(id: string, token: number, now: number): Promise<void> {
      await db
        .updateTable('downloads')
        .set({ run_after: now })
        .where('id', '=', id)
        .where('lease_token', '=', token)
        .where('status', '=', 'waiting')
        .execute();
    },

    /** Closes the attempt if its transfer may still be in flight; the closed attempt, or undefined. */
    closeInFlight(
      attemptId: string,
      message: string,
      now: number,
      tx: Db,
    ): Promise<AttemptRow | undefined> {
      return tx
        .updateTable('attempts')
        .set({
          state: 'cancelled',
          error_code: 'cancelled',
          error_message: message,
          updated_at: now,
          finished_at: now,
        })
        .where('id', '=', attemptId)
        .where('state', 'in', ['pending', 'enqueued'])
        .returningAll()
        .executeTakeFirst();
    },

    /** A finished download picked again: the sources it tried before count as untried (as a retry's). */
    async retireAttempts(downloadId: string, tx: Db): Promise<void> {
      await tx
        .updateTable('attempts')
        .set({ round: -1 })
        .where('download_id', '=', downloadId)
        .execute();
    },
  };
}

export type SourcePickRepository = ReturnType<typeof createSourcePickRepository>;
