import type { Lease, QueueRepository } from './queue.repository.js';

export interface RunnerOptions {
  queue: QueueRepository;
  /** Stable id of this SoulSpot instance; leases carry it. */
  owner: string;
  /** Read at every claim, so a changed setting applies at once. */
  maxConcurrent: () => number;
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
  onError: (error: unknown) => void;
}

/**
 * Claims due downloads up to the concurrency limit, runs each as a job, renews leases while jobs run
 * (aborting a job whose lease was lost), and refills a slot the moment a job ends.
 */
export function createRunner(options: RunnerOptions) {
  const { queue, owner, leaseMs, now } = options;
  const idleMs = options.idleMs ?? 1000;
  /** Every job still running, `holdsSlot` until its lease is given back (see `run`). */
  const jobs = new Map<
    string,
    {
      lease: Lease;
      controller: AbortController;
      done: Promise<void>;
      renewedAt: number;
      holdsSlot: boolean;
    }
  >();
  /** Jobs that hold a lease: what counts against the limit. */
  const holding = (): number => {
    let n = 0;
    for (const job of jobs.values()) if (job.holdsSlot) n++;
    return n;
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
    const entry = {
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
    jobs.set(lease.downloadId, entry);
    entry.done = options
      .run(lease, controller.signal, released)
      .catch((error: unknown) => options.onError(error))
      .finally(() => {
        jobs.delete(lease.downloadId);
        wake();
      });
  };

  const fill = async (): Promise<void> => {
    for (;;) {
      const limit = options.maxConcurrent();
      if (!running || holding() >= limit || !(options.canClaim?.() ?? true)) return;
      const lease = await queue.claimNext(owner, now(), leaseMs, limit);
      if (!lease) return;
      if (jobs.has(lease.downloadId)) {
        // Its previous job here (cancelled, then retried at once) is still winding down. Hand the
        // lease back and stop filling: that job's end wakes the loop again.
        await queue.release(lease).catch(() => undefined);
        return;
      }
      startJob(lease);
    }
  };

  const sleepUntilWoken = async (): Promise<void> => {
    if (pendingWake) return;
    const next = await queue.nextRunAfter(now()).catch(() => null);
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
        .renew(job.lease, now(), leaseMs, options.maxConcurrent())
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
    /** Stops the job working on this download at once (it was cancelled from outside). */
    abort(downloadId: string): void {
      jobs.get(downloadId)?.controller.abort(new Error('cancelled'));
    },
    /** Jobs holding a lease (and so a slot) now. */
    get activeCount(): number {
      return holding();
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
