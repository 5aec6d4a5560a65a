import { sql } from 'kysely';
import type { Db } from '../db/database.js';

/** One row of the event log as stored: `payload` is JSON text. */
export interface EventRow {
  id: number;
  type: string;
  payload: string;
  created_at: number;
}

/**
 * The advisory lock every event-writing transaction on PostgreSQL takes right before its insert.
 * Two 32-bit keys: PostgreSQL keeps that key space apart from the one-key locks the queue takes.
 */
const APPEND_LOCK = [0x50f7, 0x0e7e] as const;

/** How long a transaction holding APPEND_LOCK may sit idle before the server ends its session. */
const APPEND_IDLE_LIMIT = '10s';

/**
 * The event log's SQL, one operation per function.
 *
 * The rule that makes "id > last seen" safe to read on PostgreSQL: a sequence hands out ids at
 * insert, but a row becomes visible at commit, so transaction A can take id 5, transaction B id 6,
 * and B commit first; a reader that sees 6 and moves on would never see 5. Every transaction that
 * appends therefore takes APPEND_LOCK (`lockInsertNotify`) before its first insert and holds it
 * to the end: event-writing transactions then commit one after another in id order, and a row that is
 * visible implies every lower id is visible or rolled back for good. PostgreSQL marks a transaction
 * committed before it releases its locks, so the next holder's id is taken after the previous
 * commit is visible. SQLite needs nothing: BEGIN IMMEDIATE already serializes every writer.
 * The cost is in docs/architecture.md ("Events and SSE").
 */
export function createEventLogRepository(db: Db) {
  return {
    /**
     * PostgreSQL: takes APPEND_LOCK, inserts `rows` in order and queues the NOTIFY on `channel`,
     * in one statement; returns the ids, ascending. One round trip where lock, insert and notify
     * as separate statements took three while the lock is held: every
     * event-writing transaction of every process waits for the holder's remaining round trips
     * and commit, so each one saved comes off all of them (bench: `npm run bench events`).
     *
     * The lock comes first: the insert's rows are produced by a join with the `appending` row,
     * so no id is drawn from the sequence (at the insert, per row) before the lock is held.
     * `ord` keeps the rows' order, so ids ascend in the order given.
     *
     * Every worker write appends, so a process stopped while it holds the lock (SIGSTOP, a frozen
     * VM) would stall every process's writes. From here to the commit the client sends only
     * COMMIT: a session idle that long inside this transaction is ended by the server, which
     * releases the lock (its write rolls back; a worker paused that long has lost its lease).
     * Taking the lock again in the same transaction is free; call this last in the transaction:
     * other event-writing transactions wait from here to this one's commit.
     */
    async lockInsertNotify(
      tx: Db,
      rows: Omit<EventRow, 'id'>[],
      channel: string,
    ): Promise<number[]> {
      const ids: number[] = [];
      for (let i = 0; i < rows.length; i += 1000) {
        const values = sql.join(
          rows
            .slice(i, i + 1000)
            .map(
              (r, k) =>
                sql`(${k}::int, ${r.type}::text, ${r.payload}::text, ${r.created_at}::bigint)`,
            ),
        );
        const result = await sql<{ id: string | number }>`
          WITH appending AS (
            SELECT set_config('idle_in_transaction_session_timeout', ${APPEND_IDLE_LIMIT}, true),
              pg_advisory_xact_lock(${APPEND_LOCK[0]}, ${APPEND_LOCK[1]}),
              pg_notify(${channel}, '')
          )
          INSERT INTO events (type, payload, created_at)
          SELECT v.type, v.payload, v.created_at
          FROM appending, (VALUES ${values}) AS v (ord, type, payload, created_at)
          ORDER BY v.ord
          RETURNING id`.execute(tx);
        ids.push(...result.rows.map((r) => Number(r.id)).sort((a, b) => a - b));
      }
      return ids;
    },

    /** Inserts one event inside the caller's transaction and returns its id (SQLite). */
    async insert(tx: Db, row: Omit<EventRow, 'id'>): Promise<number> {
      const { id } = await tx
        .insertInto('events')
        .values(row)
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(id);
    },

    /** Inserts events in order inside the caller's transaction; returns their ids, ascending (SQLite). */
    async insertMany(tx: Db, rows: Omit<EventRow, 'id'>[]): Promise<number[]> {
      const ids: number[] = [];
      // 4 parameters a row: far below either database's limit.
      for (let i = 0; i < rows.length; i += 1000) {
        const inserted = await tx
          .insertInto('events')
          .values(rows.slice(i, i + 1000))
          .returning('id')
          .execute();
        ids.push(...inserted.map((r) => Number(r.id)).sort((a, b) => a - b));
      }
      return ids;
    },

    /** Up to `limit` events with an id above `afterId`, oldest first. */
    after(afterId: number, limit: number): Promise<EventRow[]> {
      return db
        .selectFrom('events')
        .selectAll()
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
    },

    /** The oldest and newest id kept; both null while the log is empty. */
    async bounds(): Promise<{ oldest: number | null; latest: number | null }> {
      const row = await db
        .selectFrom('events')
        .select((eb) => [eb.fn.min('id').as('oldest'), eb.fn.max('id').as('latest')])
        .executeTakeFirst();
      const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
      return { oldest: num(row?.oldest), latest: num(row?.latest) };
    },

    /**
     * Deletes the events appended before `cutoff` (epoch ms), always as a prefix by id (clocks of
     * several processes may disagree a little), and never the newest event: an empty log could
     * not tell a client from before the trim that it missed something. Returns the rows deleted.
     */
    async trimOlderThan(cutoff: number): Promise<number> {
      const result = await db
        .deleteFrom('events')
        .where(
          'id',
          '<=',
          db
            .selectFrom('events')
            .select((eb) => eb.fn.max('id').as('m'))
            .where('created_at', '<', cutoff),
        )
        .where(
          'id',
          '<',
          db.selectFrom('events').select((eb) => eb.fn.max('id').as('m')),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** Deletes all but the newest `keep` events (keep ≥ 1). Returns the rows deleted. */
    async trimToCount(keep: number): Promise<number> {
      // The id of the keep-th newest event; with fewer rows the subquery is NULL and nothing goes.
      const result = await db
        .deleteFrom('events')
        .where(
          'id',
          '<',
          db
            .selectFrom('events')
            .select('id')
            .orderBy('id', 'desc')
            .limit(1)
            .offset(Math.max(1, keep) - 1),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type EventLogRepository = ReturnType<typeof createEventLogRepository>;
