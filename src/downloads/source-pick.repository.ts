import { sql, type ExpressionBuilder, type Updateable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { Database, DownloadsTable } from '../db/schema.js';
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
      read: ReadRow,
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
        .where((eb) => asRead(eb, read))
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Stores a pick of the file the download's open attempt is already fetching (a double click, a
     * client's retry): the candidates only, as read; the lease, the attempt and the transfer stay.
     */
    recordPick(
      id: string,
      read: ReadRow,
      candidates: string,
      now: number,
      tx: Db,
    ): Promise<DownloadRow | undefined> {
      return tx
        .updateTable('downloads')
        .set({ candidates, updated_at: now })
        .where('id', '=', id)
        .where((eb) => asRead(eb, read))
        .returningAll()
        .executeTakeFirst();
    },

    /** The attempt if it may still hold a transfer at the daemon (pending or enqueued). */
    openAttempt(attemptId: string, tx: Db): Promise<AttemptRow | undefined> {
      return tx
        .selectFrom('attempts')
        .selectAll()
        .where('id', '=', attemptId)
        .where('state', 'in', ['pending', 'enqueued'])
        .executeTakeFirst();
    },

    /**
     * Ends a switch's hold (the old transfer is cancelled at the daemon): due now, if the download
     * still waits on that hold (`run_after` = `holdUntil`). A later pick inside the hold keeps it,
     * so this still applies; anything that moved `run_after` since wins.
     */
    async dueNow(id: string, holdUntil: number, now: number): Promise<void> {
      await db
        .updateTable('downloads')
        // The note of a failed cancel (noteHold) goes with the hold.
        .set({ run_after: now, error_message: null })
        .where('id', '=', id)
        .where('run_after', '=', holdUntil)
        .where('status', '=', 'waiting')
        .where('current_attempt_id', 'is', null)
        .execute();
    },

    /**
     * Notes on a held download why it waits (its old transfer's cancel failed), while it still
     * waits on that hold; false when anything moved it since.
     */
    async noteHold(id: string, holdUntil: number, message: string): Promise<boolean> {
      const result = await db
        .updateTable('downloads')
        .set({ error_message: message })
        .where('id', '=', id)
        .where('run_after', '=', holdUntil)
        .where('status', '=', 'waiting')
        .where('current_attempt_id', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    /** The attempt if a user's cancel closed it at `since` or later (its daemon call may be pending). */
    cancelledSince(attemptId: string, since: number, tx: Db): Promise<AttemptRow | undefined> {
      return tx
        .selectFrom('attempts')
        .selectAll()
        .where('id', '=', attemptId)
        .where('state', '=', 'cancelled')
        .where('finished_at', '>=', since)
        .executeTakeFirst();
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

/** What a pick read of the row and decides on: a write in between makes its update match nothing. */
export type ReadRow = Pick<DownloadRow, 'updated_at' | 'lease_token' | 'current_attempt_id'>;

function asRead(eb: ExpressionBuilder<Database, 'downloads'>, read: ReadRow) {
  return eb.and([
    eb('updated_at', '=', read.updated_at),
    eb('lease_token', '=', read.lease_token),
    read.current_attempt_id === null
      ? eb('current_attempt_id', 'is', null)
      : eb('current_attempt_id', '=', read.current_attempt_id),
  ]);
}

export type SourcePickRepository = ReturnType<typeof createSourcePickRepository>;
