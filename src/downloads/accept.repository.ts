import { sql, type Insertable } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import type { DownloadsTable } from '../db/schema.js';
import { ACTIVE_STATUSES } from './download.js';
import type { DownloadRow } from './download.repository.js';

/**
 * The SQL of accepting downloads, one operation per function, every one inside the caller's write
 * transaction (the accept batcher's or a bulk chunk's).
 */

/**
 * The partial unique index's predicate, spelled exactly as in migration 001: SQLite accepts an ON
 * CONFLICT target, and uses the partial index for a count, only when the WHERE matches it literally.
 */
const ACTIVE_PREDICATE = sql<boolean>`status IN ('waiting', 'searching', 'queued', 'downloading', 'processing')`;

/**
 * Rows per INSERT: a download row has ~37 columns, so 200 rows stay far below SQLite's 32,766 and
 * PostgreSQL's 65,535 bound parameters.
 */
const INSERT_CHUNK = 200;
/** Keys per IN list. */
const KEY_CHUNK = 500;

/** Serializes count-and-insert of accepts across processes on PostgreSQL (one-key lock space). */
const ACCEPT_LOCK = 0x50f7acc;

export function createAcceptRepository(dialect: Dialect) {
  return {
    /** The active download of each of these dedupe keys (at most one each: the unique index). */
    async activeByKeys(tx: Db, keys: string[]): Promise<Map<string, DownloadRow>> {
      const found = new Map<string, DownloadRow>();
      for (let i = 0; i < keys.length; i += KEY_CHUNK) {
        const rows = await tx
          .selectFrom('downloads')
          .selectAll()
          .where('dedupe_key', 'in', keys.slice(i, i + KEY_CHUNK))
          .where('status', 'in', ACTIVE_STATUSES)
          .execute();
        for (const row of rows) found.set(row.dedupe_key, row);
      }
      return found;
    },

    /**
     * Inserts the rows; one whose key has an active download already (another process won the
     * race since `activeByKeys`) is skipped by the partial unique index, never an error that would
     * abort the transaction on PostgreSQL. Returns the rows inserted.
     */
    async insertNew(tx: Db, rows: Insertable<DownloadsTable>[]): Promise<DownloadRow[]> {
      const inserted: DownloadRow[] = [];
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        inserted.push(
          ...(await tx
            .insertInto('downloads')
            .values(rows.slice(i, i + INSERT_CHUNK))
            .onConflict((oc) => oc.column('dedupe_key').where(ACTIVE_PREDICATE).doNothing())
            .returningAll()
            .execute()),
        );
      }
      return inserted;
    },

    /**
     * Unfinished downloads, counted up to `cap` (the limit): the count walks the partial unique
     * index of active rows and stops at the limit, so it costs at most `cap` index entries.
     */
    async countActive(tx: Db, cap: number): Promise<number> {
      const { rows } = await sql<{ n: number | string }>`
        SELECT count(*) AS n FROM (
          SELECT 1 FROM downloads WHERE ${ACTIVE_PREDICATE} LIMIT ${cap}
        ) AS active`.execute(tx);
      return Number(rows[0]?.n ?? 0);
    },

    /**
     * PostgreSQL: holds count-then-insert of accepts atomic against other processes until the end
     * of `tx`, so several processes together never pass maxQueueSize. Taken before the event
     * append lock, never after it (every accept takes them in this order). SQLite's BEGIN
     * IMMEDIATE serializes writers already.
     */
    async lockAccepts(tx: Db): Promise<void> {
      if (dialect === 'postgres')
        await sql`SELECT pg_advisory_xact_lock(${ACCEPT_LOCK})`.execute(tx);
    },
  };
}

export type AcceptRepository = ReturnType<typeof createAcceptRepository>;
