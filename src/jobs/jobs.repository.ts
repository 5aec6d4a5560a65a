import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { JobsTable } from '../db/schema.js';

/**
 * The generic job table's SQL, one operation per function (migration 018). The rules, stated once:
 *
 * - A job is CLAIMABLE while `state = 'queued'`, `run_after` has come and its lease is free (no
 *   expiry, or one that has passed). A claim takes the first such job in (run_after, id) order,
 *   sets owner and expiry, bumps `lease_token` and `attempts`, and clears `unique_key`: from then
 *   on nothing can be merged into it. On PostgreSQL the pick is `FOR UPDATE SKIP LOCKED`, so
 *   claimers in any number of processes take different jobs instead of queueing on one; on SQLite
 *   the one UPDATE statement is atomic by itself.
 * - FENCING: every write of a worker's result (`complete`, `fail`, `release`, `renew`) is
 *   `WHERE id = ? AND lease_owner = ? AND lease_token = ?`. Zero rows means the lease is gone (it
 *   expired and another worker claimed the job, or the job was released at start-up): the late
 *   result is discarded, and the caller rolls back whatever it meant to commit with it.
 * - A `unique_key` names a job that has not started: `enqueue` under a key some waiting job holds
 *   returns that job's id and changes nothing about it (its `run_after` stands), so events that
 *   arrive before it starts join it.
 * - A job ends by being deleted (`complete`), or as `dead` (`fail` of its last attempt), kept
 *   with `last_error` for whoever looks. An attempt lost to a crash counts as an attempt but is no
 *   verdict: the job runs again, even past `max_attempts` (only a failed run makes it dead).
 */

export interface JobLease {
  id: string;
  owner: string;
  token: number;
}

export interface Job<P = unknown> {
  id: string;
  task: string;
  payload: P;
  /** This run is attempt number `attempts` (1 for the first). */
  attempts: number;
  maxAttempts: number;
  runAfter: number;
  lease: JobLease;
  lastError: string | null;
  createdAt: number;
}

export interface NewJob {
  task: string;
  payload: unknown;
  uniqueKey?: string;
  runAfter: number;
  maxAttempts: number;
}

export function createJobsRepository(handle: DatabaseHandle) {
  const { db, dialect } = handle;

  return {
    /**
     * Deletes dead jobs that died (their last write) before `cutoff`, with their items (cascade).
     * Returns the rows deleted.
     */
    async trimDead(cutoff: number): Promise<number> {
      const result = await db
        .deleteFrom('jobs')
        .where('state', '=', 'dead')
        .where('updated_at', '<', cutoff)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /**
     * Adds a job inside the caller's transaction, or, when a waiting job holds `uniqueKey`,
     * returns that job's id untouched. On PostgreSQL a conflicting row another transaction is
     * writing is waited for; if that transaction's claim cleared the key meanwhile, a new job is
     * inserted (ON CONFLICT re-checks the committed row).
     */
    async enqueue(tx: Db, job: NewJob, now: number): Promise<string> {
      const row = await tx
        .insertInto('jobs')
        .values({
          id: randomUUID(),
          task: job.task,
          payload: JSON.stringify(job.payload),
          unique_key: job.uniqueKey ?? null,
          state: 'queued',
          attempts: 0,
          max_attempts: job.maxAttempts,
          run_after: job.runAfter,
          lease_token: 0,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc
            .column('unique_key')
            .where('unique_key', 'is not', null)
            // A no-op update, so RETURNING gives the existing job's id.
            .doUpdateSet({ unique_key: (eb) => eb.ref('excluded.unique_key') }),
        )
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    /** Claims the next claimable job of one of `tasks` (the rule above), or null. */
    async claim(
      owner: string,
      now: number,
      leaseMs: number,
      tasks: readonly string[],
    ): Promise<Job | null> {
      if (tasks.length === 0) return null;
      const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
      const { rows } = await sql<JobsTable>`
        UPDATE jobs SET lease_owner = ${owner}, lease_expires_at = ${now + leaseMs},
          lease_token = lease_token + 1, attempts = attempts + 1, unique_key = NULL,
          updated_at = ${now}
        WHERE id = (SELECT id FROM jobs
          WHERE state = 'queued' AND run_after <= ${now}
            AND (lease_expires_at IS NULL OR lease_expires_at <= ${now})
            AND task IN (${sql.join(tasks.map((t) => sql`${t}`))})
          ORDER BY run_after, id LIMIT 1 ${lock})
        RETURNING *`.execute(db);
      const row = rows[0];
      return row ? toJob(row) : null;
    },

    /** Extends a lease still held. False: it is gone, and the worker must stop. */
    async renew(lease: JobLease, now: number, leaseMs: number): Promise<boolean> {
      const result = await db
        .updateTable('jobs')
        .set({ lease_expires_at: now + leaseMs })
        .where('id', '=', lease.id)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Deletes a job whose run succeeded, in the caller's transaction. False: the lease is gone. */
    async complete(tx: Db, lease: JobLease): Promise<boolean> {
      const result = await tx
        .deleteFrom('jobs')
        .where('id', '=', lease.id)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    /**
     * Records a failed run: waits until `runAfter` for the next attempt, or is `dead`. Fenced like
     * `complete`; false: the lease is gone.
     */
    async fail(
      tx: Db,
      lease: JobLease,
      failure: { error: string; runAfter: number; dead: boolean },
      now: number,
    ): Promise<boolean> {
      const result = await tx
        .updateTable('jobs')
        .set({
          lease_owner: null,
          lease_expires_at: null,
          last_error: failure.error,
          run_after: failure.runAfter,
          state: failure.dead ? 'dead' : 'queued',
          updated_at: now,
        })
        .where('id', '=', lease.id)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Gives a job back without a verdict (the process is stopping): claimable at once, and the
     * attempt its claim counted is taken back.
     */
    async release(lease: JobLease, now: number): Promise<boolean> {
      const result = await db
        .updateTable('jobs')
        .set((eb) => ({
          lease_owner: null,
          lease_expires_at: null,
          attempts: eb('attempts', '-', 1),
          updated_at: now,
        }))
        .where('id', '=', lease.id)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Frees the leases `owner` held before a restart (it cannot be running twice), so its jobs
     * are taken up at once rather than when their leases expire. Their attempts stay counted.
     */
    async releaseOwner(owner: string): Promise<number> {
      const result = await db
        .updateTable('jobs')
        .set({ lease_owner: null, lease_expires_at: null })
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    /**
     * When a look for work may next find some: the earliest `run_after` of a waiting job, or the
     * expiry of a lease (a crashed worker's job becomes claimable then). Null: nothing waits.
     */
    async nextWakeAt(now: number): Promise<number | null> {
      const row = await db
        .selectFrom('jobs')
        .select(
          sql<number | null>`MIN(CASE WHEN lease_expires_at > ${now} THEN lease_expires_at
            ELSE run_after END)`.as('at'),
        )
        .where('state', '=', 'queued')
        .executeTakeFirst();
      return row?.at === null || row?.at === undefined ? null : Number(row.at);
    },

    /** Jobs by task and state (the outbox backlog, for health and metrics). */
    async counts(): Promise<{ task: string; state: string; count: number }[]> {
      const rows = await db
        .selectFrom('jobs')
        .select(['task', 'state', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy(['task', 'state'])
        .execute();
      return rows.map((r) => ({ task: r.task, state: r.state, count: Number(r.count) }));
    },

    /** One job as stored, or null (tests, inspection). */
    async get(id: string): Promise<JobsTable | null> {
      return (
        (await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()) ?? null
      );
    },
  };
}

export type JobsRepository = ReturnType<typeof createJobsRepository>;

function toJob(row: JobsTable): Job {
  return {
    id: row.id,
    task: row.task,
    payload: JSON.parse(row.payload) as unknown,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAfter: Number(row.run_after),
    lease: { id: row.id, owner: row.lease_owner as string, token: Number(row.lease_token) },
    lastError: row.last_error,
    createdAt: Number(row.created_at),
  };
}
