import type { DatabaseHandle, Db } from '../db/database.js';
import type { Job, JobsRepository } from './jobs.repository.js';

/**
 * What a task's run decided. Its `write` runs in the transaction that records the verdict on the
 * job (fenced): a delivery's 2xx is committed together with the job's completion, or not at all.
 */
export type JobOutcome =
  | { kind: 'done'; write?: (tx: Db) => Promise<void> }
  | {
      kind: 'retry';
      error: string;
      /** `dead`: this was the last attempt, the job is kept as dead. */
      write?: (tx: Db, dead: boolean) => Promise<void>;
      /** Give the job up now, attempts left or not (it is kept as dead). */
      final?: boolean;
    };

export interface TaskDefinition {
  run(job: Job, signal: AbortSignal): Promise<JobOutcome>;
  /** Wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed. */
  retryDelayMs(attempt: number): number;
}

export interface JobRunnerOptions {
  handle: DatabaseHandle;
  repo: JobsRepository;
  /** Stable id of this SoulSpot instance (the download queue's). */
  owner: string;
  tasks: Record<string, TaskDefinition>;
  leaseMs: number;
  /** Jobs run at once in this process. */
  concurrency: number;
  now: () => number;
  /** Longest sleep without a look, a safety net for a wake-up that never came. Default 60 s. */
  maxSleepMs?: number;
  log: { warn(obj: object, msg?: string): void };
}

class LeaseGone extends Error {}

/**
 * Runs jobs from the generic table. It does not poll: it looks for work when woken (`wake()`:
 * after a local enqueue has committed, or an event from any process says one may have been
 * written) and otherwise sleeps exactly until the next `run_after` or lease expiry the table
 * holds. Leases are renewed every third of their length while a job runs; a job whose renewal
 * fails is aborted, and its result, if it still comes, is discarded by the fenced write.
 */
export function createJobRunner(options: JobRunnerOptions) {
  const { repo, handle, owner, leaseMs, now } = options;
  const taskNames = Object.keys(options.tasks);
  const maxSleepMs = options.maxSleepMs ?? 60_000;
  const running = new Map<string, { job: Job; controller: AbortController; done: Promise<void> }>();
  let started = false;
  let stopping = false;
  let looking: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let finished = 0;
  let discarded = 0;

  const warn = (error: unknown, msg: string, extra: object = {}): void =>
    options.log.warn(
      { ...extra, err: error instanceof Error ? error.message : String(error) },
      msg,
    );

  const settle = async (job: Job, outcome: JobOutcome): Promise<void> => {
    const task = options.tasks[job.task] as TaskDefinition;
    await handle.writeTx(async (tx) => {
      if (outcome.kind === 'done') {
        if (!(await repo.complete(tx, job.lease))) throw new LeaseGone();
        await outcome.write?.(tx);
        return;
      }
      const dead = outcome.final === true || job.attempts >= job.maxAttempts;
      const runAfter = now() + task.retryDelayMs(job.attempts);
      const failure = { error: storableText(outcome.error.slice(0, 2000)), runAfter, dead };
      if (!(await repo.fail(tx, job.lease, failure, now()))) throw new LeaseGone();
      await outcome.write?.(tx, dead);
    });
  };

  const execute = async (job: Job, controller: AbortController): Promise<void> => {
    const task = options.tasks[job.task] as TaskDefinition;
    let outcome: JobOutcome;
    try {
      outcome = await task.run(job, controller.signal);
    } catch (error) {
      if (stopping && controller.signal.aborted) {
        // Cut short by the stop, not judged: handed back whole (the attempt is not counted).
        await repo.release(job.lease, now()).catch(() => undefined);
        return;
      }
      outcome = { kind: 'retry', error: error instanceof Error ? error.message : String(error) };
    }
    // A run that came back with a verdict is recorded even when the stop aborted it meanwhile:
    // its answer (a delivery's 2xx) was had, and handing the job back would send it again.
    try {
      await settle(job, outcome);
      finished++;
    } catch (error) {
      if (error instanceof LeaseGone) {
        discarded++;
        options.log.warn(
          { job: job.id, task: job.task },
          'job lease lost before its result was recorded; the result is discarded',
        );
      } else {
        // The verdict could not be written (database down): the lease runs out and the job
        // is run again, which is what an unrecorded result must mean.
        warn(error, 'recording a job result failed', { job: job.id, task: job.task });
      }
    }
  };

  const start = (job: Job): void => {
    const controller = new AbortController();
    const entry = { job, controller, done: Promise.resolve() };
    running.set(job.id, entry);
    entry.done = execute(job, controller).finally(() => {
      running.delete(job.id);
      wake();
    });
  };

  const look = async (): Promise<void> => {
    do {
      again = false;
      while (started && running.size < options.concurrency) {
        const job = await repo.claim(owner, now(), leaseMs, taskNames);
        if (!job) break;
        start(job);
      }
    } while (again && started);
    if (!started) return;
    // Every slot busy: a job that is due cannot be taken before one ends, and each end wakes the
    // runner. Arming for "due now" here was a look every 5 ms for as long as the slots stayed full.
    if (running.size >= options.concurrency) {
      arm(maxSleepMs);
      return;
    }
    const next = await repo.nextWakeAt(now());
    arm(next === null ? maxSleepMs : Math.min(maxSleepMs, Math.max(5, next - now())));
  };

  const arm = (ms: number): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(wake, ms);
    timer.unref();
  };

  function wake(): void {
    if (!started) return;
    if (looking) {
      again = true;
      return;
    }
    looking = look()
      .catch((error: unknown) => {
        warn(error, 'looking for jobs failed');
        arm(Math.min(maxSleepMs, 1000));
      })
      .finally(() => {
        looking = null;
        if (again) wake();
      });
  }

  const renewAll = async (): Promise<void> => {
    for (const { job, controller } of [...running.values()]) {
      if (controller.signal.aborted) continue;
      const ok = await repo.renew(job.lease, now(), leaseMs).catch(() => null);
      if (ok === false) controller.abort(new Error('job lease lost'));
    }
  };

  return {
    async start(): Promise<void> {
      await repo.releaseOwner(owner);
      started = true;
      heartbeat = setInterval(() => void renewAll(), Math.max(100, Math.floor(leaseMs / 3)));
      heartbeat.unref();
      wake();
    },
    wake,
    /** Jobs running here now. */
    get activeCount(): number {
      return running.size;
    },
    /** Results recorded, and results discarded because the lease was gone (tests, metrics). */
    get stats(): { finished: number; discarded: number } {
      return { finished, discarded };
    },
    /** Stops looking, aborts the jobs running here and hands them back unjudged. */
    async stop(): Promise<void> {
      started = false;
      stopping = true;
      if (timer) clearTimeout(timer);
      if (heartbeat) clearInterval(heartbeat);
      await looking;
      const all = [...running.values()];
      for (const entry of all) entry.controller.abort(new Error('shutting down'));
      await Promise.all(all.map((e) => e.done));
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;

/**
 * An error as both databases store it: PostgreSQL refuses NUL in `text` and a lone surrogate has
 * no UTF-8 form. A failure whose text could not be written would never be recorded: the job would
 * run again at every lease expiry, ignoring its backoff, and never become dead.
 */
export function storableText(text: string): string {
  return text
    .split('\u0000')
    .join(' ')
    .replace(/[\uD800-\uDFFF]/gu, '\uFFFD');
}
