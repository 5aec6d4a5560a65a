import { sql, type RawBuilder } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import { ACTIVE_STATUSES } from '../downloads/download.js';

/**
 * Statistics SQL (migration 017 describes the tables). THE rule, stated once: the sums for a
 * period [from, to) are
 *   stats_daily rows of the whole UTC days inside it
 *   + stats_deltas (not folded yet) of those days
 *   + stats_facts finished in the edges (the parts of the period that are not whole days),
 * read in one snapshot. Folding moves deltas into stats_daily and changes none of these sums, so
 * a read is exact whether or not a fold ran. Each part is an index range: the daily primary key
 * (dim, day, key), the deltas (few: folded every few seconds), and stats_facts (finished_at) for at
 * most two partial days.
 */

export type Dim = 'all' | 'format' | 'provider' | 'peer' | 'artist' | 'error';

/** The key each dimension groups by (a column of stats_facts and stats_deltas); NULL = not counted. */
const DIM_KEYS: Record<Dim, string> = {
  all: "''",
  format: 'format',
  provider: 'provider',
  peer: 'peer',
  artist: 'artist',
  error: 'error_code',
};
const DIMS = Object.keys(DIM_KEYS) as Dim[];
/** The dimensions read as lists of keys (all of them but `all`, which is read per day). */
export const KEYED_DIMS = ['format', 'provider', 'peer', 'artist', 'error'] as const;
export type KeyedDim = (typeof KEYED_DIMS)[number];

/** Sums of one key (or one day) in a period. */
export interface Sums {
  completed: number;
  failed: number;
  cancelled: number;
  /** Filed bytes (completed downloads). */
  bytes: number;
  /** Accept-to-filed milliseconds, summed over completed downloads. */
  durationMs: number;
  /** Bytes/s summed over completed transfers with a measured speed, and how many those are. */
  speedSum: number;
  speedN: number;
}
export interface KeySums extends Sums {
  key: string;
}
export interface DaySums extends Sums {
  /** Epoch ms of the UTC midnight. */
  day: number;
}

export interface Range {
  from: number;
  to: number;
}

export const DAY_MS = 86_400_000;

/** The measures of one fact or delta row; `sign` is 1 for a fact, the column for a delta. */
const measures = (sign: string): string => `
  CASE WHEN status = 'completed' THEN ${sign} ELSE 0 END AS completed,
  CASE WHEN status = 'failed' THEN ${sign} ELSE 0 END AS failed,
  CASE WHEN status = 'cancelled' THEN ${sign} ELSE 0 END AS cancelled,
  ${sign} * bytes AS bytes,
  ${sign} * duration_ms AS duration_ms,
  CASE WHEN speed IS NULL THEN 0 ELSE ${sign} * speed END AS speed_sum,
  CASE WHEN speed IS NULL THEN 0 ELSE ${sign} END AS speed_n`;

const SUMS = sql.raw(`SUM(completed) AS completed, SUM(failed) AS failed,
  SUM(cancelled) AS cancelled, SUM(bytes) AS bytes, SUM(duration_ms) AS duration_ms,
  SUM(speed_sum) AS speed_sum, SUM(speed_n) AS speed_n`);

/** Rows of `table` for one dimension: (dim, day, key, measures…). */
const rowsOf = (table: string, dim: Dim, where: RawBuilder<unknown>): RawBuilder<unknown> => {
  const sign = table === 'stats_facts' ? '1' : 'sign';
  const key = DIM_KEYS[dim];
  return sql`SELECT ${sql.lit(dim)} AS dim, day, ${sql.raw(key)} AS key, ${sql.raw(measures(sign))}
    FROM ${sql.table(table)} WHERE ${sql.raw(key)} IS NOT NULL AND ${where}`;
};

type SumRow = Record<
  'completed' | 'failed' | 'cancelled' | 'bytes' | 'duration_ms' | 'speed_sum' | 'speed_n',
  unknown
>;
// PostgreSQL's SUM of a bigint is numeric, which pg returns as text: every sum goes through Number.
const toSums = (r: SumRow): Sums => ({
  completed: Number(r.completed ?? 0),
  failed: Number(r.failed ?? 0),
  cancelled: Number(r.cancelled ?? 0),
  bytes: Number(r.bytes ?? 0),
  durationMs: Number(r.duration_ms ?? 0),
  speedSum: Number(r.speed_sum ?? 0),
  speedN: Number(r.speed_n ?? 0),
});

/** The whole UTC days of a range, and the edges left over (only those that are not empty). */
export function splitRange({ from, to }: Range): { days: Range | null; edges: Range[] } {
  const d0 = Math.ceil(from / DAY_MS) * DAY_MS;
  const d1 = Math.floor(to / DAY_MS) * DAY_MS;
  if (d0 >= d1) return { days: null, edges: from < to ? [{ from, to }] : [] };
  return {
    days: { from: d0, to: d1 },
    edges: [
      { from, to: d0 },
      { from: d1, to },
    ].filter((e) => e.from < e.to),
  };
}

export function createStatsRepository(handle: DatabaseHandle) {
  const { db } = handle;
  const postgres = handle.dialect === 'postgres';
  // Ties in top lists break by key, byte-wise on both engines (a locale collation would not).
  const byKey = sql.raw(postgres ? 'key COLLATE "C"' : 'key');

  /**
   * Every part of the rule above for some dimensions, as one row source of (dim, day, key,
   * measures…). Each part is its own branch with a plain range (an edge is never an OR of two
   * ranges), so each is an index range whatever the planner knows of the tables.
   */
  const periodRows = (dims: Dim[], range: Range) => {
    const { days, edges } = splitRange(range);
    const columns = sql.raw(
      'dim, day, key, completed, failed, cancelled, bytes, duration_ms, speed_sum, speed_n',
    );
    const parts: RawBuilder<unknown>[] = [];
    if (days) {
      const inDays = sql`day >= ${days.from} AND day < ${days.to}`;
      parts.push(sql`SELECT ${columns} FROM stats_daily
        WHERE dim IN (${sql.join(dims)}) AND ${inDays}`);
      for (const dim of dims) parts.push(rowsOf('stats_deltas', dim, inDays));
    }
    for (const edge of edges)
      for (const dim of dims)
        parts.push(
          rowsOf('stats_facts', dim, sql`finished_at >= ${edge.from} AND finished_at < ${edge.to}`),
        );
    // An empty period still needs a (typed) row source: one that yields nothing.
    if (parts.length === 0)
      parts.push(
        sql`SELECT ${columns} FROM stats_daily WHERE dim IN (${sql.join(dims)}) AND 1 = 0`,
      );
    return sql.join(parts, sql` UNION ALL `);
  };

  const repo = {
    /**
     * Moves every delta into stats_daily. On PostgreSQL one statement deletes the deltas and adds
     * exactly those it deleted (a delta committed meanwhile is left for the next fold), under a
     * try-lock so concurrent folds from several processes do not queue; SQLite's write transaction
     * serializes everything anyway. Returns how many deltas it folded.
     */
    async fold(): Promise<number> {
      // Nothing to fold (the usual case between bursts): no write transaction, no write lock.
      const any = await db.selectFrom('stats_deltas').select('id').limit(1).executeTakeFirst();
      if (!any) return 0;
      const upsert = sql.raw(`ON CONFLICT (dim, day, key) DO UPDATE SET
        completed = stats_daily.completed + excluded.completed,
        failed = stats_daily.failed + excluded.failed,
        cancelled = stats_daily.cancelled + excluded.cancelled,
        bytes = stats_daily.bytes + excluded.bytes,
        duration_ms = stats_daily.duration_ms + excluded.duration_ms,
        speed_sum = stats_daily.speed_sum + excluded.speed_sum,
        speed_n = stats_daily.speed_n + excluded.speed_n`);
      const columns = sql.raw(
        'dim, day, key, completed, failed, cancelled, bytes, duration_ms, speed_sum, speed_n',
      );
      const unpivot = (table: string, where: RawBuilder<unknown>) =>
        sql.join(
          DIMS.map((dim) => rowsOf(table, dim, where)),
          sql` UNION ALL `,
        );
      if (postgres) {
        return handle.writeTx(async (tx) => {
          const lock = await sql<{ ok: boolean }>`
            SELECT pg_try_advisory_xact_lock(${0x50f7}, ${0x57a7}) AS ok`.execute(tx);
          if (!lock.rows[0]?.ok) return 0;
          const result = await sql<{ n: string }>`
            WITH moved AS (DELETE FROM stats_deltas RETURNING *),
            added AS (
              INSERT INTO stats_daily (${columns})
              SELECT dim, day, key, ${SUMS} FROM (${unpivot('moved', sql`true`)}) u
              GROUP BY dim, day, key ORDER BY dim, day, key
              ${upsert}
              RETURNING 1)
            SELECT (SELECT count(*) FROM moved) AS n`.execute(tx);
          return Number(result.rows[0]?.n ?? 0);
        });
      }
      return handle.writeTx(async (tx) => {
        const top = await tx
          .selectFrom('stats_deltas')
          .select((eb) => eb.fn.max('id').as('id'))
          .executeTakeFirst();
        const max = Number(top?.id ?? 0);
        if (max === 0) return 0;
        const upTo = sql`id <= ${max}`;
        await sql`INSERT INTO stats_daily (${columns})
          SELECT dim, day, key, ${SUMS} FROM (${unpivot('stats_deltas', upTo)}) u
          WHERE true GROUP BY dim, day, key
          ${upsert}`.execute(tx);
        const deleted = await tx
          .deleteFrom('stats_deltas')
          .where('id', '<=', max)
          .executeTakeFirst();
        return Number(deleted.numDeletedRows);
      });
    },

    /**
     * Runs `fn` in one snapshot: REPEATABLE READ, read only, on PostgreSQL; a read transaction on
     * SQLite (its one connection is held, so nothing writes between the statements).
     */
    snapshot<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
      const tx = db.transaction();
      return postgres
        ? tx.setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn)
        : tx.execute(fn);
    },

    /** Sums per UTC day with any download in the period, oldest first (the totals are their sum). */
    async perDay(tx: Db, range: Range): Promise<DaySums[]> {
      const { rows } = await sql<SumRow & { day: unknown }>`
        SELECT day, ${SUMS} FROM (${periodRows(['all'], range)}) u
        GROUP BY day HAVING SUM(completed) + SUM(failed) + SUM(cancelled) <> 0
        ORDER BY day`.execute(tx);
      return rows.map((r) => ({ day: Number(r.day), ...toSums(r) }));
    },

    /**
     * The keys of the grouped dimensions with any download in the period, in one statement: the
     * most downloads first, ties by key; `artist` by completed downloads (keys without any are
     * left out). `peer` and `artist` keep their first `top`, the others every key.
     */
    async keyed(tx: Db, range: Range, top: number): Promise<Record<KeyedDim, KeySums[]>> {
      const total = sql`SUM(completed) + SUM(failed) + SUM(cancelled)`;
      const weight = sql`CASE WHEN dim = 'artist' THEN SUM(completed) ELSE ${total} END`;
      const { rows } = await sql<SumRow & { dim: KeyedDim; key: string }>`
        SELECT * FROM (
          SELECT dim, key, ${SUMS},
            ROW_NUMBER() OVER (PARTITION BY dim ORDER BY ${weight} DESC, ${byKey}) AS place
          FROM (${periodRows([...KEYED_DIMS], range)}) u
          GROUP BY dim, key HAVING ${weight} > 0) r
        WHERE dim NOT IN ('peer', 'artist') OR place <= ${top}
        ORDER BY dim, place`.execute(tx);
      const out = Object.fromEntries(KEYED_DIMS.map((d) => [d, [] as KeySums[]])) as Record<
        KeyedDim,
        KeySums[]
      >;
      for (const r of rows) out[r.dim].push({ key: r.key, ...toSums(r) });
      return out;
    },

    /**
     * Speed samples: in each of the slices [from + i·step, from + (i+1)·step) of the range, the
     * first completed transfer with a measured speed that ended there (by end time, then download
     * id). One index probe per slice (`stats_facts_speed`), however many transfers a slice holds.
     */
    async speedSamples(
      tx: Db,
      range: Range,
      step: number,
    ): Promise<Array<{ at: number; speed: number }>> {
      const first = (column: string) => sql`(SELECT ${sql.raw(column)} FROM stats_facts
        WHERE speed IS NOT NULL AND finished_at >= p.t AND finished_at < p.t + ${step}
          AND finished_at < ${range.to}
        ORDER BY finished_at, download_id LIMIT 1)`;
      const { rows } = await sql<{ at: unknown; speed: unknown }>`
        WITH RECURSIVE p(t) AS (
          SELECT CAST(${range.from} AS BIGINT)
          UNION ALL SELECT t + ${step} FROM p WHERE t + ${step} < ${range.to})
        SELECT ${first('finished_at')} AS at, ${first('speed')} AS speed FROM p ORDER BY p.t`.execute(
        tx,
      );
      return rows
        .filter((r) => r.at !== null && r.speed !== null)
        .map((r) => ({ at: Number(r.at), speed: Number(r.speed) }));
    },

    /** The first and last finish time of any fact (period `all` spans them). */
    async span(tx: Db): Promise<Range | null> {
      // Two subqueries: SQLite reads min() or max() off the index only when it is alone in its
      // query; together they were a scan of every fact (10–20 ms at 85,000).
      const { rows } = await sql<{ first: unknown; last: unknown }>`SELECT
        (SELECT MIN(finished_at) FROM stats_facts) AS first,
        (SELECT MAX(finished_at) FROM stats_facts) AS last`.execute(tx);
      const row = rows[0];
      if (row?.first === null || row?.first === undefined) return null;
      return { from: Number(row.first), to: Number(row.last) + 1 };
    },

    /** Unfinished downloads now, by status (the partial range of `downloads_claim`). */
    async activeNow(tx: Db): Promise<Record<string, number>> {
      const rows = await tx
        .selectFrom('downloads')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .where('status', 'in', ACTIVE_STATUSES)
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
  return repo;
}

export type StatsRepository = ReturnType<typeof createStatsRepository>;
