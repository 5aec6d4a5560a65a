import { sql, type Insertable, type Selectable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { PeerFailuresTable, PeerStatsTable } from '../db/schema.js';
import { inSlices } from './blocklist.repository.js';

export type PeerStatsRow = Selectable<PeerStatsTable>;

/** A peer's track record (peer_stats) and the failures that count towards a block (peer_failures). */
export function createPeerStatsRepository(handle: DatabaseHandle) {
  const { db } = handle;

  const emptyStats = (username: string, at: number): Insertable<PeerStatsTable> => ({
    username,
    successes: 0,
    failures: 0,
    failures_by_code: '{}',
    bytes: 0,
    speed_samples: 0,
    average_speed: 0,
    last_failure_at: null,
    updated_at: at,
  });

  return {
    /**
     * One statement, so concurrent successes cannot lose an update. The mean is kept incrementally,
     * m' = m + (x − m) / (n + 1), and only moves when this transfer had a measured speed.
     */
    async recordSuccess(s: {
      username: string;
      bytes: number;
      speed: number | null;
      at: number;
    }): Promise<void> {
      const sampled = s.speed !== null && Number.isFinite(s.speed) && s.speed > 0;
      await db
        .insertInto('peer_stats')
        .values({
          ...emptyStats(s.username, s.at),
          successes: 1,
          bytes: s.bytes,
          speed_samples: sampled ? 1 : 0,
          average_speed: sampled ? (s.speed ?? 0) : 0,
        })
        .onConflict((oc) =>
          oc.column('username').doUpdateSet({
            successes: sql`peer_stats.successes + 1`,
            bytes: sql`peer_stats.bytes + excluded.bytes`,
            speed_samples: sql`peer_stats.speed_samples + excluded.speed_samples`,
            average_speed: sql`CASE WHEN excluded.speed_samples = 0 THEN peer_stats.average_speed
              ELSE peer_stats.average_speed
                + (excluded.average_speed - peer_stats.average_speed) / (peer_stats.speed_samples + 1)
              END`,
            updated_at: sql`excluded.updated_at`,
          }),
        )
        .execute();
    },

    /**
     * Counts one failure and returns the per-code tally as it was. Run it first in the failure
     * transaction: on PostgreSQL the upsert holds the peer's row lock until commit, so the rest of
     * the transaction (the JSON tally, the window count) is never interleaved with another failure
     * of the same peer. SQLite's BEGIN IMMEDIATE serializes writers anyway.
     */
    async bumpFailure(username: string, bytes: number, at: number, tx: Db): Promise<string> {
      const row = await tx
        .insertInto('peer_stats')
        .values({ ...emptyStats(username, at), failures: 1, bytes, last_failure_at: at })
        .onConflict((oc) =>
          oc.column('username').doUpdateSet({
            failures: sql`peer_stats.failures + 1`,
            bytes: sql`peer_stats.bytes + excluded.bytes`,
            last_failure_at: sql`excluded.last_failure_at`,
            updated_at: sql`excluded.updated_at`,
          }),
        )
        .returning('failures_by_code')
        .executeTakeFirstOrThrow();
      return row.failures_by_code;
    },

    async setFailuresByCode(username: string, json: string, tx: Db): Promise<void> {
      await tx
        .updateTable('peer_stats')
        .set({ failures_by_code: json })
        .where('username', '=', username)
        .execute();
    },

    get(username: string): Promise<PeerStatsRow | undefined> {
      return db
        .selectFrom('peer_stats')
        .selectAll()
        .where('username', '=', username)
        .executeTakeFirst();
    },

    async statsFor(
      usernames: string[],
    ): Promise<Pick<PeerStatsRow, 'username' | 'successes' | 'failures' | 'failures_by_code'>[]> {
      const rows: Pick<PeerStatsRow, 'username' | 'successes' | 'failures' | 'failures_by_code'>[] =
        [];
      for (const slice of inSlices(usernames)) {
        rows.push(
          ...(await db
            .selectFrom('peer_stats')
            .select(['username', 'successes', 'failures', 'failures_by_code'])
            .where('username', 'in', slice)
            .execute()),
        );
      }
      return rows;
    },

    async insertFailure(row: Insertable<PeerFailuresTable>, tx: Db): Promise<void> {
      await tx.insertInto('peer_failures').values(row).execute();
    },

    /** Failures of this peer strictly after `since`. */
    async countFailuresSince(username: string, since: number, tx: Db): Promise<number> {
      const row = await tx
        .selectFrom('peer_failures')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('username', '=', username)
        .where('at', '>', since)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Forgets this peer's failures up to `until` (all of them when omitted). */
    async deleteFailures(username: string, tx: Db, until?: number): Promise<void> {
      let query = tx.deleteFrom('peer_failures').where('username', '=', username);
      if (until !== undefined) query = query.where('at', '<=', until);
      await query.execute();
    },

    /** Drops every failure that has left the window, for peers that never failed again. */
    async pruneFailures(until: number): Promise<number> {
      const result = await db
        .deleteFrom('peer_failures')
        .where('at', '<=', until)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type PeerStatsRepository = ReturnType<typeof createPeerStatsRepository>;
