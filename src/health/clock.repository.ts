import { sql, type RawBuilder } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';

/** The database's clock in epoch ms, in the statement that reads it. */
function dbNowMs(dialect: DatabaseHandle['dialect']): RawBuilder<number> {
  return dialect === 'postgres'
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;
}

/**
 * The heartbeat rows of the clock-skew check (migration 023). Every time here that decides whether
 * a row is live is the database's clock, never a process's: the processes' clocks are what is in
 * question.
 */
export function createClockRepository(handle: DatabaseHandle) {
  const { db, dialect } = handle;
  return {
    /**
     * Records this process's clock beside the database's in one statement; returns this process's
     * offset (process minus database, ms). The round trip adds its latency to the offset, a few ms.
     */
    async beat(owner: string, processAt: number): Promise<number> {
      const row = await db
        .insertInto('process_clocks')
        .values({ owner, process_at: processAt, db_at: dbNowMs(dialect) })
        .onConflict((oc) =>
          oc.column('owner').doUpdateSet({ process_at: processAt, db_at: dbNowMs(dialect) }),
        )
        .returning(['process_at', 'db_at'])
        .executeTakeFirstOrThrow();
      return Number(row.process_at) - Number(row.db_at);
    },

    /** The offsets of the processes other than `owner` that beat within `withinMs` (database clock). */
    async othersLive(owner: string, withinMs: number): Promise<number[]> {
      const rows = await db
        .selectFrom('process_clocks')
        .select(['process_at', 'db_at'])
        .where('owner', '!=', owner)
        .where('db_at', '>=', sql<number>`${dbNowMs(dialect)} - ${withinMs}`)
        .execute();
      return rows.map((r) => Number(r.process_at) - Number(r.db_at));
    },

    /** Removes rows of processes gone for longer than `olderThanMs`; returns how many. */
    async prune(olderThanMs: number): Promise<number> {
      const result = await db
        .deleteFrom('process_clocks')
        .where('db_at', '<', sql<number>`${dbNowMs(dialect)} - ${olderThanMs}`)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type ClockRepository = ReturnType<typeof createClockRepository>;
