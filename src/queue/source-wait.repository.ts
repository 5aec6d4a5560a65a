import { sql, type Selectable } from 'kysely';
import type { DownloadsTable } from '../db/schema.js';
import type { DatabaseHandle, Db } from '../db/database.js';
import { ACTIVE_STATUSES } from '../downloads/download.js';
import type { Lease } from './queue.repository.js';

/**
 * The SQL of parked downloads: those whose transfer waits in a peer's upload queue and that hold
 * neither a lease nor a runner slot meanwhile (docs/architecture.md, "Slots"). One operation per
 * function; every query reads the partial index `downloads_at_source` (parked rows only).
 */

/** A two-key advisory lock apart from the claim's and the event log's: parking is count-and-set. */
const PARK_LOCK = [0x50f7, 0x9a4c] as const;

/** `park`'s outcome: the row as committed once parked; `full` at the limit; `lost` the lease. */
export type Parked = { row: Selectable<DownloadsTable> } | 'full' | 'lost';

export interface ParkedDownload {
  id: string;
  status: string;
  hold: string;
  sourceWait: string;
  since: number;
  transferId: string | null;
  /** The place in the peer's queue as last written (the DTO's `queuePosition`). */
  queuePosition: number | null;
}

/** A parked row as `setQueuePositions` wrote it: what its `download.progress` delta carries. */
export type QueuePositionRow = Pick<
  Selectable<DownloadsTable>,
  'id' | 'progress' | 'bytes_transferred' | 'queue_position' | 'updated_at'
>;

export function createSourceWaitRepository(handle: DatabaseHandle) {
  const { db, dialect } = handle;

  return {
    /**
     * Parks the leased download if fewer than `maxQueuedAtSource` active downloads are parked
     * (across processes: the count and the write are one step under an advisory lock on
     * PostgreSQL, BEGIN IMMEDIATE on SQLite). Fenced like every worker write; the lease is given
     * back in the same UPDATE, which returns the row as committed. `full` when the limit is reached
     * (the worker keeps following).
     * With `tx` it runs inside the caller's transaction (the worker appends its event there).
     */
    async park(
      lease: Lease,
      since: number,
      maxQueuedAtSource: number,
      patch: { updated_at: number },
      inTx?: Db,
    ): Promise<Parked> {
      const body = async (tx: Db): Promise<Parked> => {
        if (dialect === 'postgres') {
          await sql`SELECT pg_advisory_xact_lock(${PARK_LOCK[0]}, ${PARK_LOCK[1]})`.execute(tx);
        }
        const parked = await tx
          .selectFrom('downloads')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('source_wait', 'is not', null)
          .where('status', 'in', ACTIVE_STATUSES)
          .executeTakeFirstOrThrow();
        if (Number(parked.n) >= maxQueuedAtSource) return 'full';
        const result = await tx
          .updateTable('downloads')
          .set({
            ...patch,
            source_wait: 'waiting',
            source_wait_since: since,
            lease_owner: null,
            lease_expires_at: null,
          })
          .where('id', '=', lease.downloadId)
          .where('lease_owner', '=', lease.owner)
          .where('lease_token', '=', lease.token)
          .returningAll()
          .executeTakeFirst();
        return result ? { row: result } : 'lost';
      };
      return inTx ? body(inTx) : handle.writeTx(body);
    },

    /** Every parked row with its current attempt's transfer id (any status: stale ones are cleared). */
    async parked(): Promise<ParkedDownload[]> {
      const rows = await db
        .selectFrom('downloads')
        .leftJoin('attempts', 'attempts.id', 'downloads.current_attempt_id')
        .select([
          'downloads.id',
          'downloads.status',
          'downloads.hold',
          'downloads.source_wait',
          'downloads.source_wait_since',
          'downloads.queue_position',
          'attempts.transfer_id',
        ])
        .where('downloads.source_wait', 'is not', null)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        status: r.status,
        hold: r.hold,
        sourceWait: r.source_wait as string,
        since: Number(r.source_wait_since ?? 0),
        transferId: r.transfer_id ?? null,
        queuePosition: r.queue_position ?? null,
      }));
    },

    /**
     * The monitor saw the transfer move, end or stall: the download is claimed next, ahead of new
     * work. Only a row still parked and unleased changes (idempotent: every process's monitor may
     * report the same transfer).
     */
    async markReady(id: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('downloads')
        .set({ source_wait: 'ready', run_after: now })
        .where('id', '=', id)
        .where('source_wait', '=', 'waiting')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Parked downloads' new places in their peers' queues, as the transfer list shows them (nobody
     * else follows a parked transfer), in one UPDATE inside the caller's transaction (the source
     * watch appends the progress events there). Only rows still parked and waiting, and only where
     * the place differs: every process's watch may report the same place, and a worker that took
     * the row over writes its own. Returns the rows written (none written: an empty list).
     */
    async setQueuePositions(
      changes: readonly { id: string; position: number }[],
      now: number,
      tx: Db,
    ): Promise<QueuePositionRow[]> {
      if (changes.length === 0) return [];
      // CAST: PostgreSQL types a CASE of bare parameters as text.
      const place = sql<number>`CASE ${sql.ref('id')} ${sql.join(
        changes.map((c) => sql`WHEN ${c.id} THEN CAST(${c.position} AS integer)`),
        sql` `,
      )} END`;
      return tx
        .updateTable('downloads')
        .set({ queue_position: place, updated_at: now })
        .where(
          'id',
          'in',
          changes.map((c) => c.id),
        )
        .where('source_wait', '=', 'waiting')
        .where((eb) => eb.or([eb('queue_position', 'is', null), eb('queue_position', '!=', place)]))
        .returning(['id', 'progress', 'bytes_transferred', 'queue_position', 'updated_at'])
        .execute();
    },

    /** A parked row that is no longer active (cancelled, failed from outside) stops counting. */
    async clear(id: string): Promise<void> {
      await db
        .updateTable('downloads')
        .set({ source_wait: null, source_wait_since: null })
        .where('id', '=', id)
        .where('status', 'not in', ACTIVE_STATUSES)
        .execute();
    },
  };
}

export type SourceWaitRepository = ReturnType<typeof createSourceWaitRepository>;
