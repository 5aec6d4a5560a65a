import pg from 'pg';
import { sleep } from './wait.js';

/** One download's lease as the table holds it. */
interface LeaseRow {
  id: string;
  lease_owner: string | null;
  lease_token: number;
}

export interface LeaseWatch {
  /** download id → every instance id seen holding its lease. */
  readonly owners: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * The most live transfer leases (owner set, expiry not passed, not `processing`) seen in one
   * look, across every process: a lower bound of the true peak (a lease shorter than one interval
   * can be missed), never above. Filing leases hold slots of their own pool.
   */
  readonly mostLive: number;
  /** The same for filing leases (`processing`: limited by `maxConcurrentFiling`). */
  readonly mostFiling: number;
  /** The downloads `owner` holds now (its lease rows, live or lapsed), with their fencing tokens. */
  heldBy(owner: string): Promise<LeaseRow[]>;
  /**
   * Waits until every one of `rows` has been claimed again (its fencing token moved past the one
   * it had: only a claim or a command bumps it) and returns, per download, the milliseconds from
   * `since` to the first look that saw it. A look every `intervalMs`, so each figure is at most
   * that much late, never early.
   */
  takenOver(
    rows: LeaseRow[],
    since: number,
    options: { timeoutMs: number; intervalMs?: number },
  ): Promise<Map<string, number>>;
  /** Any other query on the watcher's connection (in turn with its looks). */
  query<T extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

/**
 * Reads the leases of a PostgreSQL SoulSpot database from outside every SoulSpot process (its own
 * connection), every `intervalMs`, to learn which process worked on which download. Leases held
 * for less than one interval can be missed, so `owners` is a lower bound of who took part.
 */
export async function watchLeases(url: string, intervalMs = 50): Promise<LeaseWatch> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const owners = new Map<string, Set<string>>();
  let on = true;
  let mostLive = 0;
  let mostFiling = 0;
  // One query at a time on the one connection: the loop and the callers take turns.
  let turn: Promise<unknown> = Promise.resolve();
  const query = <T extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    const next = turn.then(() => client.query<T>(text, values));
    turn = next.catch(() => undefined);
    return next.then((r) => r.rows);
  };
  const loop = (async () => {
    while (on) {
      // One statement, so one snapshot: the count is of leases live at the same moment.
      const rows = await query<LeaseRow & { live: boolean; filing: boolean }>(
        `SELECT id, lease_owner, lease_token, lease_expires_at > $1 AS live,
           status = 'processing' AS filing FROM downloads
         WHERE lease_owner IS NOT NULL`,
        [Date.now()],
      );
      mostLive = Math.max(mostLive, rows.filter((r) => r.live && !r.filing).length);
      mostFiling = Math.max(mostFiling, rows.filter((r) => r.live && r.filing).length);
      for (const r of rows) {
        const seen = owners.get(r.id) ?? new Set<string>();
        seen.add(r.lease_owner as string);
        owners.set(r.id, seen);
      }
      await sleep(intervalMs);
    }
  })();

  return {
    owners,
    get mostLive() {
      return mostLive;
    },
    get mostFiling() {
      return mostFiling;
    },
    query,
    heldBy: (owner) =>
      query<LeaseRow>('SELECT id, lease_owner, lease_token FROM downloads WHERE lease_owner = $1', [
        owner,
      ]),
    async takenOver(rows, since, options) {
      const found = new Map<string, number>();
      const deadline = Date.now() + options.timeoutMs;
      const tokens = new Map(rows.map((r) => [r.id, r.lease_token]));
      while (found.size < rows.length) {
        const now = await query<LeaseRow>(
          'SELECT id, lease_owner, lease_token FROM downloads WHERE id = ANY($1)',
          [[...tokens.keys()]],
        );
        const at = Date.now();
        for (const r of now) {
          if (!found.has(r.id) && r.lease_token > (tokens.get(r.id) ?? 0))
            found.set(r.id, at - since);
        }
        if (found.size === rows.length) break;
        if (at > deadline) {
          const missing = rows.filter((r) => !found.has(r.id)).map((r) => r.id);
          throw new Error(`not taken over within ${options.timeoutMs} ms: ${missing.join(', ')}`);
        }
        await sleep(options.intervalMs ?? 20);
      }
      return found;
    },
    async stop() {
      on = false;
      await loop;
      await client.end();
    },
  };
}
