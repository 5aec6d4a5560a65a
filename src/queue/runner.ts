import { SLOT_POOLS, type Lease, type QueueRepository, type SlotPool } from './queue.repository.js';

export interface RunnerOptions {
  queue: QueueRepository;
  /** Stable id of this SoulSpot instance; leases carry it. */
  owner: string;
  /** Read at every claim, so a changed setting applies at once: the transfer pool's limit. */
  maxConcurrent: () => number;
  /** The filing pool's limit (`processing` downloads), read at every claim. */
  maxConcurrentFiling: () => number;
  /**
   * Downloads waiting for a filing slot at which no new search or enqueue is claimed (0 = no
   * cap), read at every transfer claim: filing slower than the transfers holds them back.
   */
  maxFilingBacklog?: () => number;
  leaseMs: number;
  /** Longest sleep between looks for due work, so a due retry starts within about this long. */
  idleMs?: number;
  now: () => number;
  /**
   * Runs one claimed download. `released` is called once the job's last write has given its lease
   * back (committed): from then on the job only tidies up (slskd's copy, its transfer record) and
   * no longer holds a slot here, so the next claim starts at once instead of at the job's end.
   */
  run: (lease: Lease, signal: AbortSignal, released: () => void) => Promise<void>;
  /** False while nothing should start (the daemon's circuit is open): claiming would only churn. */
  canClaim?: () => boolean;
  /**
   * The same for the filing pool: filing starts no transfer, so a paused queue or a closed time
   * window does not hold it (README: a global pause lets filing finish).
   */
  canClaimFiling?: () => boolean;
  onError: (error: unknown) => void;
  /**
   * Puts downloads whose retry backoff has ended back in the claim's order (`wakeDueRetries`),
   * before each round of claims.
   */
  wakeRetries: (now: number) => Promise<unknown>;
}

interface Job {
  lease: Lease;
  controller: AbortController;
  done: Promise<void>;
  renewedAt: number;
  holdsSlot: boolean;
}

/**
 * Claims due downloads up to each pool's limit (transfer: `maxConcurrent`; filing:
 * `maxConcurrentFiling`), runs each as a job, renews leases while jobs run (aborting a job whose
 * lease was lost), and refills a slot the moment a job gives its lease back.
 */
export function createRunner(options: RunnerOptions) {
  const { queue, owner, leaseMs, now } = options;
  const idleMs = options.idleMs ?? 1000;
  const limitOf = (pool: SlotPool): number =>
    pool === 'filing' ? options.maxConcurrentFiling() : options.maxConcurrent();
  const mayClaim = (pool: SlotPool): boolean =>
    (pool === 'filing' ? options.canClaimFiling : options.canClaim)?.() ?? true;
  /**
   * Every job still running, by a key of its own: a job that gave its lease back (`holdsSlot`
   * false) may still be tidying up when the same download is claimed again into the other pool
   * (its transfer done, its filing claimed at once).
   */
  const jobs = new Map<number, Job>();
  let jobKeys = 0;
  /** Jobs of `pool` that hold a lease: what counts against its limit. */
  const holding = (pool: SlotPool): number => {
    let n = 0;
    for (const job of jobs.values()) if (job.holdsSlot && job.lease.pool === pool) n++;
    return n;
  };
  /** A job on this download that still holds its lease (winding down after a cancel, say). */
  const holderOf = (downloadId: string): Job | undefined => {
    for (const job of jobs.values())
      if (job.holdsSlot && job.lease.downloadId === downloadId) return job;
    return undefined;
  };
  let running = false;
  let wakeTimer: NodeJS.Timeout | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let loop: Promise<void> | null = null;
  let wakeUp: (() => void) | null = null;
  let pendingWake = false;

  const wake = (): void => {
    pendingWake = true;
    wakeUp?.();
  };

  const startJob = (lease: Lease): void => {
    const controller = new AbortController();
    const key = ++jobKeys;
    const entry: Job = {
      lease,
      controller,
      done: Promise.resolve(),
      renewedAt: now(),
      holdsSlot: true,
    };
    const released = (): void => {
      if (!entry.holdsSlot) return;
      entry.holdsSlot = false;
      wake();
    };
    jobs.set(key, entry);
    entry.done = options
      .run(lease, controller.signal, released)
      .catch((error: unknown) => options.onError(error))
      .finally(() => {
        jobs.delete(key);
        wake();
      });
  };

  /**
   * The time of the last wake that succeeded (null after a failed one): a retry due after it and
   * not woken yet ends the next sleep (`nextRunAfter`).
   */
  let wokeThrough: number | null = null;

  /**
   * Fills each pool up to its limit, the transfer pool first: a freed transfer slot is what the
   * next download's enqueue waits for, and filing never delays it.
   */
  const fill = async (): Promise<void> => {
    // Retries whose backoff has ended rejoin the claim's order first (retry-wake.ts). Its failure
    // is reported, and the claims still go on: what is due already can start.
    if (running) {
      const t = now();
      try {
        await options.wakeRetries(t);
        wokeThrough = t;
      } catch (error) {
        wokeThrough = null;
        options.onError(error);
      }
    }
    for (const pool of SLOT_POOLS) {
      for (;;) {
        const limit = limitOf(pool);
        if (!running || holding(pool) >= limit || !mayClaim(pool)) break;
        const backlogCap = pool === 'transfer' ? (options.maxFilingBacklog?.() ?? 0) : 0;
        const lease = await queue.claimNext(owner, now(), leaseMs, limit, pool, backlogCap);
        if (!lease) break;
        if (holderOf(lease.downloadId)) {
          // Its previous job here (cancelled, then retried at once) is still winding down. Hand
          // the lease back and stop filling: that job's end wakes the loop again.
          await queue.release(lease).catch(() => undefined);
          return;
        }
        startJob(lease);
      }
    }
  };

  const sleepUntilWoken = async (): Promise<void> => {
    if (pendingWake) return;
    const t = now();
    // After a failed wake the retries it left are not looked for (that would be a loop every
    // 10 ms while the database refuses writes): the next look is at most `idleMs` away.
    const next = await queue.nextRunAfter(t, wokeThrough ?? t).catch(() => null);
    // A wake that came while the look above was waiting must not be lost until the idle timeout.
    if (pendingWake) return;
    const ms = Math.max(10, Math.min(idleMs, next === null ? idleMs : next - now()));
    await new Promise<void>((resolve) => {
      wakeUp = resolve;
      wakeTimer = setTimeout(resolve, ms);
    });
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeUp = null;
  };

  const renewAll = async (): Promise<void> => {
    for (const job of [...jobs.values()]) {
      // An aborted job is winding down and sends nothing more: renewing would only keep its slot.
      // One that gave its lease back has none to renew.
      if (job.controller.signal.aborted || !job.holdsSlot) continue;
      const renewed = await queue
        .renew(job.lease, now(), leaseMs, limitOf(job.lease.pool))
        .catch(() => null);
      if (renewed === true) job.renewedAt = now();
      // Lost, or not renewable for a whole lease (database unreachable): another process may own
      // it by now, so this job must stop before it sends anything more to the daemon.
      if (renewed === false || now() - job.renewedAt >= leaseMs) {
        job.controller.abort(new Error('lease lost'));
      }
    }
  };

  return {
    async start(): Promise<void> {
      running = true;
      await queue.releaseOwner(owner);
      heartbeat = setInterval(() => void renewAll(), Math.max(100, Math.floor(leaseMs / 3)));
      loop = (async () => {
        while (running) {
          pendingWake = false;
          try {
            await fill();
          } catch (error) {
            options.onError(error);
          }
          if (running) await sleepUntilWoken();
        }
      })();
    },
    wake,
    /** Stops the jobs working on this download at once (it was cancelled from outside). */
    abort(downloadId: string): void {
      for (const job of jobs.values())
        if (job.lease.downloadId === downloadId) job.controller.abort(new Error('cancelled'));
    },
    /** Jobs holding a transfer slot now (searching, enqueueing, following a transfer). */
    get activeCount(): number {
      return holding('transfer');
    },
    /** Jobs holding a filing slot now. */
    get filingCount(): number {
      return holding('filing');
    },
    /** Stops claiming, aborts running jobs and hands their downloads back to the queue at once. */
    async stop(): Promise<void> {
      running = false;
      wakeUp?.();
      if (heartbeat) clearInterval(heartbeat);
      await loop;
      const held = [...jobs.values()];
      for (const job of held) job.controller.abort(new Error('shutting down'));
      await Promise.all(held.map((j) => j.done));
      for (const job of held) await queue.release(job.lease).catch(() => undefined);
    },
  };
}

export type Runner = ReturnType<typeof createRunner>;
