import { sql, type Insertable, type Selectable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { PeerFailuresTable, PeerStatsTable } from '../db/schema.js';
import type { SourceRef } from '../providers/release.js';
import { byProvider, inSlices } from './blocklist.repository.js';

export type PeerStatsRow = Selectable<PeerStatsTable>;
type SourceStats = Pick<
  PeerStatsRow,
  'provider' | 'username' | 'successes' | 'failures' | 'failures_by_code'
>;

/**
 * A source's track record (peer_stats) and the failures that count towards a block
 * (peer_failures), both keyed by (provider, username) (migration 019).
 */
export function createPeerStatsRepository(handle: DatabaseHandle) {
  const { db } = handle;

  const emptyStats = (source: SourceRef, at: number): Insertable<PeerStatsTable> => ({
    provider: source.provider,
    username: source.username,
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
      provider: string;
      username: string;
      bytes: number;
      speed: number | null;
      at: number;
    }): Promise<void> {
      const sampled = s.speed !== null && Number.isFinite(s.speed) && s.speed > 0;
      await db
        .insertInto('peer_stats')
        .values({
          ...emptyStats(s, s.at),
          successes: 1,
          bytes: s.bytes,
          speed_samples: sampled ? 1 : 0,
          average_speed: sampled ? (s.speed ?? 0) : 0,
        })
        .onConflict((oc) =>
          oc.columns(['provider', 'username']).doUpdateSet({
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
    async bumpFailure(source: SourceRef, bytes: number, at: number, tx: Db): Promise<string> {
      const row = await tx
        .insertInto('peer_stats')
        .values({ ...emptyStats(source, at), failures: 1, bytes, last_failure_at: at })
        .onConflict((oc) =>
          oc.columns(['provider', 'username']).doUpdateSet({
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

    async setFailuresByCode(source: SourceRef, json: string, tx: Db): Promise<void> {
      await tx
        .updateTable('peer_stats')
        .set({ failures_by_code: json })
        .where('provider', '=', source.provider)
        .where('username', '=', source.username)
        .execute();
    },

    get(source: SourceRef): Promise<PeerStatsRow | undefined> {
      return db
        .selectFrom('peer_stats')
        .selectAll()
        .where('provider', '=', source.provider)
        .where('username', '=', source.username)
        .executeTakeFirst();
    },

    async statsFor(sources: readonly SourceRef[]): Promise<SourceStats[]> {
      const rows: SourceStats[] = [];
      for (const [provider, usernames] of byProvider(sources)) {
        for (const slice of inSlices(usernames)) {
          rows.push(
            ...(await db
              .selectFrom('peer_stats')
              .select(['provider', 'username', 'successes', 'failures', 'failures_by_code'])
              .where('provider', '=', provider)
              .where('username', 'in', slice)
              .execute()),
          );
        }
      }
      return rows;
    },

    async insertFailure(row: Insertable<PeerFailuresTable>, tx: Db): Promise<void> {
      await tx.insertInto('peer_failures').values(row).execute();
    },

    /** Failures of this source strictly after `since`; with `filename`, of that file only. */
    async countFailuresSince(
      source: SourceRef,
      since: number,
      tx: Db,
      filename?: string,
    ): Promise<number> {
      let query = tx
        .selectFrom('peer_failures')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('provider', '=', source.provider)
        .where('username', '=', source.username)
        .where('at', '>', since);
      if (filename !== undefined) query = query.where('filename', '=', filename);
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * A torrent release's failures strictly after `since`, counted as the most any one download
     * had on it: one stall of an album torrent (one job its tracks share) fails every track's
     * attempt at once, and that is one failure of the release, while a track failing on it again
     * is another. Rows without a download (written before migration 033) count together.
     */
    async countReleaseFailuresSince(
      source: SourceRef,
      release: string,
      since: number,
      tx: Db,
    ): Promise<number> {
      const row = await tx
        .selectFrom((eb) =>
          eb
            .selectFrom('peer_failures')
            .select((e) => e.fn.countAll<number>().as('n'))
            .where('provider', '=', source.provider)
            .where('username', '=', source.username)
            .where('filename', '=', release)
            .where('at', '>', since)
            .groupBy('download_id')
            .as('per_download'),
        )
        .select((eb) => eb.fn.max('per_download.n').as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /**
     * Forgets this source's failures up to `until` (all of them when omitted); with `filename`,
     * that file's only.
     */
    async deleteFailures(
      source: SourceRef,
      tx: Db,
      until?: number,
      filename?: string,
    ): Promise<void> {
      let query = tx
        .deleteFrom('peer_failures')
        .where('provider', '=', source.provider)
        .where('username', '=', source.username);
      if (until !== undefined) query = query.where('at', '<=', until);
      if (filename !== undefined) query = query.where('filename', '=', filename);
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
